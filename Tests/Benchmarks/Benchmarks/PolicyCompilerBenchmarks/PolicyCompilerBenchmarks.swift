import Benchmark
import GatehouseCore
import GatehousePolicy
import PolicyFixtures

/// Compile time (YAML text → `DecisionTree`) at 10 to 100,000 rules, and the memory of a compiled
/// 100,000-rule tree.
///
/// The YAML text is generated in setup; each iteration runs the whole compiler on it: YAML
/// parsing, schema, semantics, tree build and lint. `TreeMemory` (an executable beside these)
/// measures the tree's memory apart from the YAML and the compiler's transient structures.
let benchmarks: @Sendable () -> Void = {
    // `instructions` only where hardware counters exist (see `Machine.hasInstructionCounters`).
    let metrics: [BenchmarkMetric] =
        [.wallClock, .mallocCountTotal, .peakMemoryResident]
        + (Machine.hasInstructionCounters ? [.instructions] : [])
    let timeThresholds: [BenchmarkMetric: BenchmarkThresholds] = [.wallClock: .relaxed, .instructions: .default]

    for set in BenchmarkSizes.all {
        // Few iterations for the large sets: one compile of 100,000 rules takes seconds.
        let iterations = max(3, min(1_000, 200_000 / set.rules))
        Benchmark(
            "compile - \(set)",
            configuration: .init(
                metrics: metrics,
                warmupIterations: set.rules >= 10_000 ? 0 : 1,
                maxDuration: .seconds(set.rules >= 10_000 ? 60 : 5),
                maxIterations: iterations,
                thresholds: timeThresholds
            )
        ) { benchmark, sources in
            for _ in benchmark.scaledIterations {
                blackHole(PolicySet.compile(sources.sources))
            }
        } setup: {
            SourcesFixture(set.sources())
        }
    }

    // The process's peak resident memory while it compiles 100,000 rules and keeps the tree.
    // Setup holds the YAML text, so the delta metric (peak minus the resident set before measuring)
    // is the tree plus the compiler's transient structures.
    for set in [BenchmarkSizes.perPolicy.last!, BenchmarkSizes.onePolicy] {
        Benchmark(
            "compiled tree memory - \(set)",
            configuration: .init(
                metrics: metrics + [.peakMemoryResidentDelta],
                warmupIterations: 0,
                maxDuration: .seconds(60),
                maxIterations: 1
            )
        ) { benchmark, fixture in
            fixture.tree = PolicySet.compile(fixture.sources)
            blackHole(fixture.tree)
        } setup: {
            SourcesFixture(set.sources())
        }
    }
}

/// The generated YAML of one set, and the tree compiled from it when a benchmark keeps one.
final class SourcesFixture: @unchecked Sendable {
    let sources: [PolicySource]
    var tree: DecisionTree?

    init(_ sources: [PolicySource]) { self.sources = sources }
}
