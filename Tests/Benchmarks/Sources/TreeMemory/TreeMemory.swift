import GatehouseCore
import GatehousePolicy
import MemoryProbe
import PolicyFixtures

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Measures how much memory a compiled 100,000-rule tree keeps, apart from the YAML it came from.
///
/// Prints the process's resident set (`VmRSS` from `/proc/self/status`) and the bytes the heap has in
/// use (`mallinfo2`) at each step. The tree's size is what stays in use once the YAML text and
/// everything the compiler built on the way are gone: the heap after, minus the heap before the
/// YAML was generated. `malloc_trim` hands freed pages back first, so the RSS figures compare too.
///
/// Usage: `swift run -c release TreeMemory [RULES] [RULES-PER-POLICY]` (default 100000 100; with
/// RULES-PER-POLICY ≥ RULES, one policy written one rule a line, as the benchmarks' one-policy set). `--yaml` prints the first policy file instead.
@main
enum TreeMemory {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let rules = arguments.first ?? 100_000
        let set: PolicySet
        if let perPolicy = arguments.dropFirst().first, perPolicy >= rules {
            set = PolicySet.onePolicy(rules: rules)
        } else {
            set = PolicySet(rules: rules, rulesPerPolicy: arguments.dropFirst().first ?? 100)
        }
        if CommandLine.arguments.contains("--yaml") {
            print(set.yaml(policy: 0), terminator: "")
            return
        }
        print("TreeMemory: \(set)")

        let start = Snapshot("start")
        var sources: [PolicySource]? = set.sources()
        let yamlBytes = PolicySet.byteCount(of: sources!)
        let withYAML = Snapshot("YAML generated (\(megabytes(yamlBytes)) of text)")
        let (wallStart, cpuStart) = (ContinuousClock.now, Self.processCPUSeconds())
        var tree: DecisionTree? = PolicySet.compile(sources!)
        let compileWall = ContinuousClock.now - wallStart
        let compileCPU = Self.processCPUSeconds() - cpuStart
        let withBoth = Snapshot("compiled, YAML still held")
        sources = nil
        let treeOnly = Snapshot("YAML released, tree held")
        let ruleCount = tree!.ruleCount
        let nodeCount = tree!.nodeCount
        tree = nil
        let released = Snapshot("tree released")

        print("")
        print("rules: \(ruleCount), trie nodes: \(nodeCount), YAML: \(megabytes(yamlBytes))")
        print("tree (heap in use, tree held − start):      \(megabytes(treeOnly.heap - start.heap))")
        print("tree (RSS, tree held − start):              \(megabytes(treeOnly.rss - start.rss))")
        print("tree (RSS, compiled − YAML generated):      \(megabytes(withBoth.rss - withYAML.rss))")
        print("tree (heap in use, tree held − released):   \(megabytes(treeOnly.heap - released.heap))")
        print("per rule (heap):                            \((treeOnly.heap - start.heap) / max(ruleCount, 1)) bytes")
        print(
            "compile (YAML text → tree):                 \(compileWall) wall, \(Self.format(compileCPU)) s CPU (all threads)"
        )
    }

    /// CPU time of the whole process so far, all threads: steadier than wall time on a busy machine.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func format(_ seconds: Double) -> String {
        let milliseconds = Int((seconds * 1000).rounded())
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
