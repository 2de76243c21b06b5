import Benchmark
import GatehouseCore
import PolicyFixtures

/// Per-decision cost of `DecisionTree.evaluate`, at 10 to 100,000 rules.
///
/// Each benchmark compiles its generated policy set once, in setup, then measures single calls on
/// one pre-built request and identity; one iteration is one decision, so the percentiles are
/// per-decision latencies (each includes about 30 ns of clock reading). Two decisions:
///
/// - **allow by claim**, the common path: the caller's token holds the resource's reader role and
///   the rule `rNNNN-readers-read` (`GET /rNNNN/*`, claim `contains`) allows. It must not
///   allocate: `mallocCountTotal` is held at 0.
/// - **default deny**: the same request by a caller whose roles no rule accepts, so the policy's
///   `forbidden` response (403 `no_matching_rule`) is built.
///
/// `instructions` needs hardware performance counters; where there are none (most virtual
/// machines) it is left out, and `Scripts/instructions-per-decision.sh` counts them with callgrind.
let benchmarks: @Sendable () -> Void = {
    // No `peakMemoryResident` here: the tool reads /proc around every iteration for it, and those 16
    // allocations land in `mallocCountTotal`; PolicyCompilerBenchmarks and TreeMemory measure the
    // tree's memory. `instructions` likewise allocates 16 times per iteration where there are no
    // hardware counters to read, so it is left out there.
    let decisionMetrics: [BenchmarkMetric] =
        [.wallClock, .mallocCountTotal] + (Machine.hasInstructionCounters ? [.instructions] : [])
    for set in BenchmarkSizes.all {
        for scenario in DecisionScenario.allCases {
            Benchmark(
                "\(scenario.rawValue) - \(set)",
                configuration: .init(
                    metrics: decisionMetrics,
                    warmupIterations: 1_000,
                    scalingFactor: .one,
                    maxDuration: .seconds(3),
                    maxIterations: 1_000_000,
                    thresholds: [
                        .wallClock: .relaxed,
                        .instructions: .default,
                        .mallocCountTotal: .init(absolute: [.p90: 0]),
                    ]
                )
            ) { benchmark, fixture in
                for _ in benchmark.scaledIterations {
                    blackHole(fixture.tree.evaluate(fixture.request, identity: fixture.identity))
                }
            } setup: {
                DecisionFixture(set, scenario)
            }
        }
    }
}

/// Which decision a benchmark measures.
enum DecisionScenario: String, CaseIterable, Sendable {
    case allowByClaim = "allow by claim"
    case defaultDeny = "default deny"
}

/// A compiled tree and the request it decides; a class, so handing it to each iteration copies a pointer.
final class DecisionFixture: Sendable {
    let tree: DecisionTree
    let request: AuthzRequest
    let identity: Identity

    init(_ set: PolicySet, _ scenario: DecisionScenario) {
        self.tree = set.compile()
        switch scenario {
        case .allowByClaim: (self.request, self.identity) = set.allowByClaim()
        case .defaultDeny: (self.request, self.identity) = set.defaultDeny()
        }
        // A benchmark of the wrong decision measures nothing: check it once before measuring.
        let decision = self.tree.evaluate(self.request, identity: self.identity)
        switch scenario {
        case .allowByClaim:
            precondition(
                decision.isAllowed && decision.rule?.hasSuffix("-readers-read") == true,
                "\(set): expected an allow by the readers rule, got \(decision.reason) by \(decision.rule ?? "no rule")"
            )
        case .defaultDeny:
            precondition(
                decision.reason == .noMatchingRule && decision.status == 403,
                "\(set): expected 403 no_matching_rule, got \(decision.status) \(decision.reason)")
        }
    }
}
