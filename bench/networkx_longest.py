#!/usr/bin/env python3
"""Critical path of a native-JSON module graph with networkx, for comparison.

Usage: networkx_longest.py GRAPH.json

Each module becomes two nodes, `in` and `out`, joined by an edge weighted by
the module's duration; each dependency is an edge of weight 0 from the
dependency's `out` to the dependent's `in`. The longest path of that DAG is the
critical path, and its length the critical path length.

Prints one JSON object: seconds spent loading the JSON, building the DiGraph,
in `networkx.dag_longest_path` alone, and in total, with the path found.
"""

import json
import sys
import time


def main() -> None:
    import networkx as nx

    t0 = time.perf_counter()
    with open(sys.argv[1], "rb") as f:
        modules = json.load(f)["modules"]
    t1 = time.perf_counter()

    index = {m["name"]: i for i, m in enumerate(modules)}
    g = nx.DiGraph()
    # Node 2i is module i's `in`, 2i+1 its `out`.
    g.add_weighted_edges_from(
        (2 * i, 2 * i + 1, float(m["duration_s"])) for i, m in enumerate(modules)
    )
    g.add_weighted_edges_from(
        (2 * index[d] + 1, 2 * i, 0.0)
        for i, m in enumerate(modules)
        for d in m.get("deps", [])
    )
    t2 = time.perf_counter()

    path = nx.dag_longest_path(g, weight="weight")
    t3 = time.perf_counter()

    length = sum(g[u][v]["weight"] for u, v in zip(path, path[1:]))
    steps = [modules[n // 2]["name"] for n in path if n % 2 == 0]
    print(
        json.dumps(
            {
                "modules": len(modules),
                "edges": g.number_of_edges() - len(modules),
                "load_s": t1 - t0,
                "build_s": t2 - t1,
                "longest_path_s": t3 - t2,
                "total_s": t3 - t0,
                "length_s": length,
                "steps": len(steps),
                "first": steps[:1],
                "last": steps[-1:],
                "networkx": nx.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
