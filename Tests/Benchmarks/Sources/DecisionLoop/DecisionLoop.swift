import GatehouseCore
import PolicyFixtures

/// Makes the same decision N times, for counting instructions where the benchmarks cannot.
///
/// package-benchmark's `instructions` metric needs hardware performance counters, which a virtual
/// machine often lacks. callgrind counts instructions without them; run this twice with different
/// N and divide the difference by the extra decisions, so that compiling the set cancels out:
///
/// ```sh
/// Scripts/instructions-per-decision.sh 100000 100 allow
/// ```
///
/// It also prints the mean wall time of a decision over the loop (the clock is read only before
/// and after it).
///
/// Usage: `DecisionLoop RULES RULES-PER-POLICY allow|deny N`; with RULES-PER-POLICY ≥ RULES, one
/// policy written one rule a line, as the benchmarks' one-policy set.
@main
enum DecisionLoop {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count == 4, let rules = Int(arguments[0]), let perPolicy = Int(arguments[1]),
            let count = Int(arguments[3]),
            ["allow", "deny"].contains(arguments[2])
        else {
            print("usage: DecisionLoop RULES RULES-PER-POLICY allow|deny N")
            return
        }
        let set =
            perPolicy >= rules ? PolicySet.onePolicy(rules: rules) : PolicySet(rules: rules, rulesPerPolicy: perPolicy)
        let tree = set.compile()
        let (request, identity) = arguments[2] == "allow" ? set.allowByClaim() : set.defaultDeny()
        var statuses = 0
        let start = ContinuousClock.now
        for _ in 0..<count { statuses &+= Int(tree.evaluate(request, identity: identity).status) }
        let elapsed = ContinuousClock.now - start
        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        // The mean over the loop; on a busy machine take the lowest of several runs.
        let mean = Int((nanoseconds / Double(max(count, 1))).rounded())
        print("\(set): \(count) decisions, status sum \(statuses), \(mean) ns a decision (mean)")
    }
}
