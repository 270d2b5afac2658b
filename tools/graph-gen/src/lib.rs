//! Deterministic generator of realistic, layered monorepo graphs, for
//! benchmarks, demos and tests.
//!
//! The shape is that of a large monorepo:
//!
//! - **foundation libraries** (`libs/…`, about 4 % of the modules, a few
//!   layers): the lowest layer has no dependencies; a handful of them (the
//!   first ones of each layer) are depended on by a large part of the graph;
//! - **feature layers** (`features/…`, most modules): each depends mostly on
//!   the layer just below, sometimes on older layers, and often directly on a
//!   foundation library;
//! - **apps** (`apps/…`, about 12 %) at the top, with three times as many
//!   dependencies as a feature module.
//!
//! Dependencies only go to lower layers, so the graph is acyclic by
//! construction, and the number of dependencies per module follows an
//! exponential distribution whose overall mean is
//! [`GenOptions::avg_deps`]. Durations are heavy-tailed: most modules take
//! 1–20 s, about 5 % take 20–60 s and under 1 % are huge, 60–300 s.
//!
//! Everything is a function of [`GenOptions`]: the same options always give
//! the same graph. The pseudo-random numbers come from [`SplitMix64`], ten
//! lines defined here: no `rand` crate, whose streams are not guaranteed
//! stable across its versions. (The only floating-point functions used are
//! `ln` and `powf`, whose results are rounded to 0.1 s or to whole counts, so
//! a last-bit difference between platforms' math libraries would have to
//! land exactly on a rounding boundary to change anything.)
//!
//! Modules are produced one at a time by [`Layered::modules`], dependencies
//! first, without holding the graph in memory, so a writer can stream a
//! million modules to a file; [`layered`] collects them into a
//! [`GraphBuilder`].
//!
//! ```
//! use graph_gen::{layered, GenOptions};
//! let g = layered(&GenOptions { modules: 500, avg_deps: 3.0, seed: 7 }).build().unwrap();
//! assert_eq!(g.len(), 500);
//! ```

use std::fmt;
use std::io::{self, Write};

use depgraph::{Dep, GraphBuilder, Module};

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GenOptions {
    /// Exact number of modules.
    pub modules: usize,
    /// Target mean number of dependencies per module (edges / modules).
    pub avg_deps: f64,
    /// Seed of the pseudo-random generator.
    pub seed: u64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            modules: 1000,
            avg_deps: 4.0,
            seed: 42,
        }
    }
}

/// The SplitMix64 pseudo-random generator (Steele, Lea and Flood, 2014):
/// tiny, fast, statistically sound for simulations, and fully specified, so
/// generated graphs never change with a dependency upgrade.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// The SplitMix64 output function: a good 64-bit hash.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const FOUNDATION_WORDS: &[&str] = &[
    "core", "util", "log", "config", "proto", "net", "io", "crypto", "time", "errors", "metrics",
    "trace", "codec", "storage", "sync", "alloc", "text", "json", "http", "rpc",
];
const FEATURE_WORDS: &[&str] = &[
    "auth",
    "billing",
    "search",
    "catalog",
    "cart",
    "orders",
    "payments",
    "users",
    "feeds",
    "media",
    "chat",
    "maps",
    "ads",
    "ranking",
    "notify",
    "inventory",
    "reviews",
    "profile",
    "session",
    "shipping",
    "pricing",
    "analytics",
    "export",
    "import",
    "sched",
    "index",
    "cache",
    "gateway",
    "policy",
    "audit",
];
const APP_WORDS: &[&str] = &[
    "web", "mobile", "admin", "cli", "api", "worker", "desktop", "console", "portal", "batch",
];

/// Which part of the monorepo a module belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// `libs/…`: depended on by many.
    Foundation,
    /// `features/…`.
    Feature,
    /// `apps/…`: the top layer, depends on many features.
    App,
}

/// One generated module. Its name and path come from [`Layered::name`] and
/// [`Layered::path`].
#[derive(Clone, Debug, PartialEq)]
pub struct GenModule {
    /// Index of the module, `0..modules`; also its index in a [`GraphBuilder`]
    /// made by [`layered`].
    pub id: u32,
    /// Layer, `0..layer_count()`; 0 is the lowest.
    pub layer: u32,
    /// Build time in seconds, rounded to 0.1 s, `>= 0.1`.
    pub duration_s: f64,
    /// Indices of its dependencies, all in lower layers (so all `< id`),
    /// distinct.
    pub deps: Vec<u32>,
}

/// The plan of a layered graph: layer boundaries and naming. Cheap to make;
/// the modules themselves come from [`Layered::modules`].
#[derive(Clone, Debug)]
pub struct Layered {
    opts: GenOptions,
    /// `starts[l]..starts[l + 1]` are the ids of layer `l`; one extra entry,
    /// the number of modules, at the end.
    starts: Vec<u32>,
    /// Layers `0..foundation_layers` are foundation libraries.
    foundation_layers: u32,
    /// Whether the top layer holds apps (graphs of 3+ layers).
    has_apps: bool,
    /// Mean number of dependencies of a feature module (apps: three times).
    mean_deps: f64,
    /// Digits of the number in module names.
    width: usize,
}

impl Layered {
    /// Streams the graph as native JSON, one module per line; returns the
    /// number of edges. Names and paths are `[a-z0-9/-]` only, so nothing
    /// needs escaping. With `tests`, each module lists one test,
    /// `NAME::tests` (for test-impact).
    pub fn write_json(&self, w: &mut impl Write, tests: bool) -> io::Result<usize> {
        let mut edges = 0;
        w.write_all(b"{\"modules\":[")?;
        for (i, m) in self.modules().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            let name = self.name(m.id);
            write!(
                w,
                "\n{{\"name\":\"{name}\",\"duration_s\":{:.1},\"deps\":[",
                m.duration_s
            )?;
            for (j, &d) in m.deps.iter().enumerate() {
                if j > 0 {
                    w.write_all(b",")?;
                }
                write!(w, "\"{}\"", self.name(d))?;
            }
            w.write_all(b"]")?;
            if let Some(p) = self.path(m.id) {
                write!(w, ",\"path\":\"{p}\"")?;
            }
            if tests {
                write!(w, ",\"tests\":[\"{name}::tests\"]")?;
            }
            w.write_all(b"}")?;
            edges += m.deps.len();
        }
        w.write_all(b"\n]}\n")?;
        Ok(edges)
    }

    /// Plans a graph.
    ///
    /// # Panics
    ///
    /// If `opts.modules` does not fit in a `u32`, or `opts.avg_deps` is
    /// negative or not finite.
    pub fn new(opts: &GenOptions) -> Self {
        assert!(
            u32::try_from(opts.modules).is_ok_and(|n| n < u32::MAX),
            "too many modules"
        );
        assert!(
            opts.avg_deps.is_finite() && opts.avg_deps >= 0.0,
            "avg_deps must be a finite number >= 0"
        );
        let n = opts.modules;
        let layers = if n == 0 {
            0
        } else {
            ((1.5 * (n as f64).log2()).round() as usize)
                .clamp(1, 32)
                .min(n)
        };
        let (foundation_layers, has_apps) = if layers >= 3 {
            ((layers / 5).max(1), true)
        } else {
            (layers.min(1), false)
        };

        // Sizes: foundation ~4 %, apps ~12 %, features share the rest; every
        // layer gets at least one module.
        let mut sizes = vec![1usize; layers];
        if layers > 0 {
            let mut rest = n - layers;
            let mut give = |range: std::ops::Range<usize>, total: usize, rest: &mut usize| {
                let total = total.min(*rest);
                let k = range.len();
                for (j, l) in range.enumerate() {
                    let share = total / k + usize::from(j < total % k);
                    sizes[l] += share;
                }
                *rest -= total;
            };
            if has_apps {
                give(0..foundation_layers, n * 4 / 100, &mut rest);
                give(layers - 1..layers, n * 12 / 100, &mut rest);
                let r = rest;
                give(foundation_layers..layers - 1, r, &mut rest);
            } else {
                let r = rest;
                give(0..layers, r, &mut rest);
            }
            debug_assert_eq!(rest, 0);
        }
        let mut starts = Vec::with_capacity(layers + 1);
        let mut at = 0u32;
        starts.push(0);
        for s in &sizes {
            at += *s as u32;
            starts.push(at);
        }

        // Mean deps of a feature module so that the overall mean is avg_deps:
        // roots have none, apps three times as many as features.
        let roots = sizes.first().copied().unwrap_or(0);
        let apps = if has_apps { sizes[layers - 1] } else { 0 };
        let weight = (n - roots - apps) as f64 + 3.0 * apps as f64;
        let mean_deps = if weight > 0.0 {
            opts.avg_deps * n as f64 / weight
        } else {
            0.0
        };
        let width = n.saturating_sub(1).to_string().len().max(4);
        Layered {
            opts: *opts,
            starts,
            foundation_layers: foundation_layers as u32,
            has_apps,
            mean_deps,
            width,
        }
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.opts.modules
    }

    pub fn is_empty(&self) -> bool {
        self.opts.modules == 0
    }

    /// Number of layers.
    pub fn layer_count(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Ids of the modules of a layer.
    pub fn layer(&self, layer: u32) -> std::ops::Range<u32> {
        self.starts[layer as usize]..self.starts[layer as usize + 1]
    }

    /// The layer of a module.
    pub fn layer_of(&self, id: u32) -> u32 {
        (self.starts.partition_point(|&s| s <= id) - 1) as u32
    }

    /// The tier of a layer.
    pub fn tier(&self, layer: u32) -> Tier {
        if layer < self.foundation_layers {
            Tier::Foundation
        } else if self.has_apps && layer as usize == self.layer_count() - 1 {
            Tier::App
        } else {
            Tier::Feature
        }
    }

    fn word(&self, id: u32) -> (&'static str, Tier) {
        let tier = self.tier(self.layer_of(id));
        let words = match tier {
            Tier::Foundation => FOUNDATION_WORDS,
            Tier::Feature => FEATURE_WORDS,
            Tier::App => APP_WORDS,
        };
        let h = mix64(self.opts.seed ^ u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        (words[(h % words.len() as u64) as usize], tier)
    }

    /// The module's name, such as `log-0003` or `search-0412`: a word and the
    /// module id, so names are unique. Only `[a-z0-9-]`: nothing to escape
    /// in JSON, DOT or XML.
    pub fn name(&self, id: u32) -> impl fmt::Display + '_ {
        Name { plan: self, id }
    }

    /// The module's source directory: `libs/NAME`, `apps/NAME`, or for four
    /// feature modules in five `features/NAME` (the others have none).
    pub fn path(&self, id: u32) -> Option<impl fmt::Display + '_> {
        let (_, tier) = self.word(id);
        if tier == Tier::Feature
            && mix64(self.opts.seed.wrapping_add(u64::from(id))).is_multiple_of(5)
        {
            return None;
        }
        Some(PathDisplay { plan: self, id })
    }

    /// The modules, dependencies first (in id order).
    pub fn modules(&self) -> Modules<'_> {
        Modules {
            plan: self,
            rng: SplitMix64::new(self.opts.seed),
            next: 0,
        }
    }

    /// A module's dependencies, drawn with `rng`.
    fn draw_deps(&self, id: u32, layer: u32, rng: &mut SplitMix64, deps: &mut Vec<u32>) {
        if layer == 0 {
            return;
        }
        let available = self.starts[layer as usize];
        let mean = match self.tier(layer) {
            Tier::App => 3.0 * self.mean_deps,
            _ => self.mean_deps,
        };
        // Exponentially distributed count with the right mean, at least one
        // dependency when the mean allows; stochastic rounding keeps the mean.
        let e = -(1.0 - rng.next_f64()).ln();
        let u = rng.next_f64();
        let k = if mean >= 1.0 {
            1 + ((mean - 1.0) * e + u) as u64
        } else {
            (mean * e + u) as u64
        };
        let k = k.min(u64::from(available)) as usize;
        let fl = self.foundation_layers;
        for _ in 0..k {
            // A few tries to find a dependency not drawn yet; giving up is
            // rare and only lowers the count a little.
            for _ in 0..8 {
                let (lo, hi, skew) = if layer > fl && rng.next_f64() < 0.25 {
                    // Straight to the foundation, strongly skewed to its
                    // first modules: the "everybody uses core and log" ones.
                    (0, self.starts[fl as usize], 3)
                } else {
                    // Usually the layer just below, sometimes older ones.
                    let mut back = 1;
                    while back < layer && rng.next_f64() < 0.35 {
                        back += 1;
                    }
                    let t = (layer - back) as usize;
                    (self.starts[t], self.starts[t + 1], 2)
                };
                let x = rng.next_f64();
                let x = if skew == 3 { x * x * x } else { x * x };
                let dep = lo + ((f64::from(hi - lo) * x) as u32).min(hi - lo - 1);
                debug_assert!(dep < id);
                if !deps.contains(&dep) {
                    deps.push(dep);
                    break;
                }
            }
        }
    }
}

fn draw_duration(rng: &mut SplitMix64) -> f64 {
    let p = rng.next_f64();
    let u = rng.next_f64();
    let d = if p < 0.008 {
        60.0 * 5f64.powf(u) // 60–300 s
    } else if p < 0.058 {
        20.0 * 3f64.powf(u) // 20–60 s
    } else {
        20f64.powf(u) // 1–20 s, log-uniform: most are short
    };
    ((d * 10.0).round() / 10.0).max(0.1)
}

struct Name<'a> {
    plan: &'a Layered,
    id: u32,
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (word, _) = self.plan.word(self.id);
        write!(f, "{word}-{:0w$}", self.id, w = self.plan.width)
    }
}

struct PathDisplay<'a> {
    plan: &'a Layered,
    id: u32,
}

impl fmt::Display for PathDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = match self.plan.word(self.id).1 {
            Tier::Foundation => "libs",
            Tier::Feature => "features",
            Tier::App => "apps",
        };
        write!(f, "{dir}/{}", self.plan.name(self.id))
    }
}

/// Iterator over the modules of a [`Layered`] plan, dependencies first.
pub struct Modules<'a> {
    plan: &'a Layered,
    rng: SplitMix64,
    next: u32,
}

impl Iterator for Modules<'_> {
    type Item = GenModule;

    fn next(&mut self) -> Option<GenModule> {
        let id = self.next;
        if id as usize >= self.plan.len() {
            return None;
        }
        self.next += 1;
        let layer = self.plan.layer_of(id);
        let duration_s = draw_duration(&mut self.rng);
        let mut deps = Vec::new();
        self.plan.draw_deps(id, layer, &mut self.rng, &mut deps);
        Some(GenModule {
            id,
            layer,
            duration_s,
            deps,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.plan.len() - self.next as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Modules<'_> {}

/// A layered monorepo graph (see the module docs), ready to build.
pub fn layered(opts: &GenOptions) -> GraphBuilder {
    let plan = Layered::new(opts);
    let mut b = GraphBuilder::with_capacity(plan.len());
    for m in plan.modules() {
        let mut module = Module::new(plan.name(m.id).to_string(), m.duration_s);
        module.path = plan.path(m.id).map(|p| p.to_string());
        let deps = m
            .deps
            .iter()
            .map(|&d| Dep::full(plan.name(d).to_string()))
            .collect();
        b.add(module, deps);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(modules: usize, avg_deps: f64, seed: u64) -> GenOptions {
        GenOptions {
            modules,
            avg_deps,
            seed,
        }
    }

    fn all(o: &GenOptions) -> Vec<GenModule> {
        Layered::new(o).modules().collect()
    }

    #[test]
    fn splitmix_reference_values() {
        // First outputs for seed 1234567 from the reference implementation.
        let mut r = SplitMix64::new(1234567);
        assert_eq!(r.next_u64(), 6457827717110365317);
        assert_eq!(r.next_u64(), 3203168211198807973);
        assert_eq!(r.next_u64(), 9817491932198370423);
    }

    #[test]
    fn same_seed_same_graph_other_seed_other_graph() {
        let a = all(&opts(3000, 4.0, 42));
        assert_eq!(a, all(&opts(3000, 4.0, 42)));
        assert_ne!(a, all(&opts(3000, 4.0, 43)));
        let p = Layered::new(&opts(3000, 4.0, 42));
        let q = Layered::new(&opts(3000, 4.0, 42));
        for id in [0, 1, 100, 2999] {
            assert_eq!(p.name(id).to_string(), q.name(id).to_string());
        }
    }

    #[test]
    fn exact_count_and_acyclic() {
        for n in [0, 1, 2, 3, 5, 17, 1000, 12_345] {
            let o = opts(n, 4.0, n as u64);
            let plan = Layered::new(&o);
            let mods = all(&o);
            assert_eq!(mods.len(), n);
            for m in &mods {
                for &d in &m.deps {
                    assert!(plan.layer_of(d) < m.layer, "{} -> {d}", m.id);
                }
                let mut ds = m.deps.clone();
                ds.sort();
                ds.dedup();
                assert_eq!(ds.len(), m.deps.len());
            }
            let g = layered(&o).build().expect("valid and acyclic");
            assert_eq!(g.len(), n);
        }
    }

    #[test]
    fn average_degree_near_target() {
        for avg in [1.0, 4.0, 5.0, 8.0] {
            let o = opts(20_000, avg, 1);
            let edges: usize = all(&o).iter().map(|m| m.deps.len()).sum();
            let got = edges as f64 / 20_000.0;
            assert!((got - avg).abs() < 0.05 * avg, "avg {avg}: got {got}");
        }
    }

    #[test]
    fn shape_is_a_monorepo() {
        let o = opts(10_000, 4.0, 9);
        let plan = Layered::new(&o);
        let mods = all(&o);
        assert!(plan.layer_count() >= 10);
        // Foundation libraries are few and heavily used.
        let found = plan.layer(plan.foundation_layers).start as usize;
        assert!(found < 600, "{found}");
        let mut indeg = vec![0usize; mods.len()];
        for m in &mods {
            for &d in &m.deps {
                indeg[d as usize] += 1;
            }
        }
        let max_found = indeg[..found].iter().max().unwrap();
        assert!(*max_found > 500, "{max_found}");
        // Apps on top have more deps than features.
        let top = plan.layer(plan.layer_count() as u32 - 1);
        assert_eq!(plan.tier(plan.layer_count() as u32 - 1), Tier::App);
        let app_avg = mods[top.start as usize..]
            .iter()
            .map(|m| m.deps.len())
            .sum::<usize>() as f64
            / top.len() as f64;
        assert!(app_avg > 8.0, "{app_avg}");
        // Heavy-tailed durations.
        let short = mods.iter().filter(|m| m.duration_s <= 20.0).count();
        let huge = mods.iter().filter(|m| m.duration_s >= 60.0).count();
        assert!(short > 9000 && (20..200).contains(&huge), "{short} {huge}");
        assert!(mods.iter().all(|m| (0.1..=300.0).contains(&m.duration_s)));
        // Names and paths.
        assert_eq!(
            plan.path(0).unwrap().to_string(),
            format!("libs/{}", plan.name(0))
        );
        let last = mods.len() as u32 - 1;
        assert!(plan.path(last).unwrap().to_string().starts_with("apps/"));
        assert!(plan.name(5).to_string().ends_with("-0005"));
    }
}
