# warnings-collector's capture hook for Ruby: load it without changing
# any code, with
#
#   RUBYOPT="-r$PWD/.ci/warnings_collector_hook.rb" bundle exec rake test
#
# and every warning that goes through Warning.warn (Ruby's own, and
# Kernel#warn) is appended to $WARNINGS_COLLECTOR_JSONL as one JSON line:
#   {"message": "...", "file": "/abs/app/a.rb", "line": 12,
#    "test": "UserTest#test_name", "category": "deprecation"}
# for `warnings-collector collect --jsonl FILE`. Warnings are still
# printed as before.
#
# - The output: $WARNINGS_COLLECTOR_JSONL, made absolute at load; unset,
#   `warnings.jsonl` in the current directory (said once on stderr). The
#   absolute path is put back into the environment, so that child
#   processes and tests that chdir append to the same file. Each record is
#   one write(2) on an O_APPEND file: processes running side by side never
#   split each other's lines. The file is never truncated.
# - Deprecations: Ruby prints them only under -W:deprecated or -w (since
#   2.7.2), so this turns them on to see them, and prints them only if
#   they were on already: the output stays as it was.
# - The running test: Minitest (Minitest::Test#run, so also
#   ActiveSupport::TestCase) as `Class#test_name`, and RSpec
#   (RSpec::Core::Example#run) as the example's full description. Both
#   are patched when their class is defined, whenever that is. A warning
#   outside a test (loading files, at exit) has no test.
# - Not seen: what does not go through Warning.warn (ActiveSupport's
#   deprecator writes to $stderr itself; C extensions that print), and
#   warnings a filter earlier in Warning's chain drops.
#
# No gem is required (not even json): under Bundler, activating a default
# gem before the Gemfile does can make the run fail.

module WarningsCollectorHook
  ENV_VAR = "WARNINGS_COLLECTOR_JSONL"
  HERE = File.expand_path(__FILE__)
  START_DIR = Dir.pwd

  @path = ENV[ENV_VAR].to_s
  if @path.empty?
    @path = File.expand_path("warnings.jsonl", START_DIR)
    $stderr.puts "warnings-collector: #{ENV_VAR} is not set; appending warnings to #{@path}"
  else
    @path = File.expand_path(@path, START_DIR)
  end
  ENV[ENV_VAR] = @path
  @failed = false
  @pending = nil
  @current_test = nil
  @print_deprecated = Warning[:deprecated]
  Warning[:deprecated] = true

  # Ruby 2.7's keyword-argument deprecations and -w's redefinitions come
  # as two warnings, the second naming another place; they are joined as
  # warnings-collector joins them in logs.
  FIRST_HALF = /(keyword parameters? is deprecated|keyword argument as the last hash parameter is deprecated|method redefined; discarding old)/
  SECOND_HALF = /\A(The called method .*|previous definition of .*) here\z/m
  LOCATED = /\A(.+?):(\d+): warning: (.*)\z/m

  class << self
    attr_reader :path, :print_deprecated

    # The test running on this thread, or else the last one started.
    def current_test
      Thread.current.thread_variable_get(:warnings_collector_test) || @current_test
    end

    def run_test(name)
      previous = Thread.current.thread_variable_get(:warnings_collector_test)
      Thread.current.thread_variable_set(:warnings_collector_test, name)
      @current_test = name
      yield
    ensure
      Thread.current.thread_variable_set(:warnings_collector_test, previous)
      @current_test = previous
    end

    def record(message, category)
      text = message.to_s.dup
      text.force_encoding(Encoding::UTF_8) if text.encoding == Encoding::BINARY
      text = text.encode(Encoding::UTF_8, invalid: :replace, undef: :replace).scrub.chomp
      if (m = LOCATED.match(text))
        file, line, text = m[1], m[2].to_i, m[3]
        file = File.expand_path(file, START_DIR) unless file.start_with?("<", "(") || file == "-e"
      else
        text = text.sub(/\Awarning: /, "")
        file, line = caller_place
      end
      if @pending && SECOND_HALF.match?(text)
        first = @pending
        @pending = nil
        what = text.sub(/ here\z/, "").sub(/\AThe called method/, "the called method")
        first[:message] = "#{first[:message]} (#{what} at #{file}:#{line})"
        write(first)
        return
      end
      flush
      deprecation = category == :deprecated || text.match?(/deprecated|Deprecated|obsolete/)
      rec = {
        message: text, file: file, line: line, test: current_test,
        category: deprecation ? "deprecation" : "warning",
      }
      FIRST_HALF.match?(text) ? @pending = rec : write(rec)
    end

    def flush
      rec = @pending
      @pending = nil
      write(rec) if rec
    end

    private

    # Where Kernel#warn was called from: the first frame that is neither
    # this file nor Ruby's own (`<internal:warning>`).
    def caller_place
      loc = caller_locations.find do |l|
        p = l.absolute_path || l.path
        p != HERE && !p.start_with?("<internal:")
      end
      return [nil, nil] unless loc
      [loc.absolute_path || loc.path, loc.lineno]
    end

    def write(rec)
      line = "{" + rec.map { |k, v| "#{json(k.to_s)}:#{json(v)}" }.join(",") + "}\n"
      File.open(@path, File::WRONLY | File::APPEND | File::CREAT, 0o644) do |f|
        f.syswrite(line)
      end
    rescue StandardError => e
      return if @failed
      @failed = true
      $stderr.puts "warnings-collector: cannot append to #{@path}: #{e.message} (no more warnings are recorded)"
    end

    def json(v)
      case v
      when nil then "null"
      when Integer then v.to_s
      else
        s = v.to_s.gsub(/["\\\u0000-\u001f]/) do |c|
          case c
          when '"' then '\\"'
          when "\\" then "\\\\"
          when "\n" then "\\n"
          when "\t" then "\\t"
          else format("\\u%04x", c.ord)
          end
        end
        "\"#{s}\""
      end
    end
  end

  # Prepended to Warning's singleton class: Ruby calls Warning.warn for
  # every warning it prints.
  module Capture
    def warn(message, category: nil, **kwargs)
      unless Thread.current[:warnings_collector_busy]
        begin
          Thread.current[:warnings_collector_busy] = true
          WarningsCollectorHook.record(message, category)
        rescue StandardError
          # Never break the program for a record.
        ensure
          Thread.current[:warnings_collector_busy] = false
        end
      end
      return nil if category == :deprecated && !WarningsCollectorHook.print_deprecated
      # Ruby 2.7's Warning.warn takes no keyword.
      category.nil? && kwargs.empty? ? super(message) : super
    end
  end

  module MinitestTest
    def run(*)
      WarningsCollectorHook.run_test("#{self.class.name}##{name}") { super }
    end
  end

  module RSpecExample
    def run(*)
      WarningsCollectorHook.run_test(full_description) { super }
    end
  end

  PATCHES = {
    "Minitest::Test" => MinitestTest,
    "RSpec::Core::Example" => RSpecExample,
  }
  NAME = Module.instance_method(:name)

  def self.patch(klass)
    mod = PATCHES[NAME.bind(klass).call]
    return unless mod
    klass.prepend(mod) unless klass.ancestors.include?(mod)
    @patched = (@patched || []) | [mod]
    @trace&.disable if @patched.size == PATCHES.size
  end

  Warning.singleton_class.prepend(Capture)
  # Test frameworks are usually loaded after this file: patch their class
  # when its body is first opened (prepending works before its methods
  # are defined), or now if it already exists.
  PATCHES.each_key do |name|
    klass = name.split("::").inject(Object) { |m, c| m.const_defined?(c, false) ? m.const_get(c, false) : break }
    patch(klass) if klass.is_a?(Module)
  end
  unless (@patched || []).size == PATCHES.size
    @trace = TracePoint.new(:class) { |tp| patch(tp.self) }
    @trace.enable
  end
  at_exit { flush }
end
