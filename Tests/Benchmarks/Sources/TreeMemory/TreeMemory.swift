import CHeapStats
import GatehouseCore
import GatehousePolicy
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
        var tree: DecisionTree? = PolicySet.compile(sources!)
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
    }

    /// The resident set and heap in use at one moment, printed as it is taken.
    struct Snapshot {
        let rss: Int
        let heap: Int

        init(_ label: String) {
            cheapstats_trim()
            self.heap = Int(cheapstats_heap_in_use())
            self.rss = Self.residentBytes()
            print(
                "\(label.rightPadded(44)) VmRSS \(megabytes(self.rss).leftPadded(10))   heap in use \(megabytes(self.heap).leftPadded(10))"
            )
        }

        /// `VmRSS` from `/proc/self/status`, in bytes; 0 where there is no procfs.
        static func residentBytes() -> Int {
            guard let file = fopen("/proc/self/status", "r") else { return 0 }
            defer { fclose(file) }
            var buffer = [CChar](repeating: 0, count: 512)
            while fgets(&buffer, Int32(buffer.count), file) != nil {
                let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                guard line.hasPrefix("VmRSS:") else { continue }
                let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
                return kilobytes * 1024
            }
            return 0
        }
    }
}

func megabytes(_ bytes: Int) -> String {
    let tenths = (bytes * 10 + (bytes >= 0 ? 1 : -1) * 512 * 1024) / (1024 * 1024)
    return "\(tenths / 10).\(abs(tenths % 10)) MiB"
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - self.count)) + self }
    func rightPadded(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - self.count)) }
}
