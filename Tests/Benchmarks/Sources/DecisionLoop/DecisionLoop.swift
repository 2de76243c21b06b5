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
        for _ in 0..<count { statuses &+= Int(tree.evaluate(request, identity: identity).status) }
        print("\(set): \(count) decisions, status sum \(statuses)")
    }
}
