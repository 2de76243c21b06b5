import ArgumentParser
import GatehouseCore
import GatehouseIdentity
import GatehousePolicy
import Logging

/// `gatehouse policy lint|compile|test`.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Lint, compile and test a policy directory.",
        subcommands: [Lint.self, Compile.self, Test.self, Diff.self]
    )

    /// The directory argument every policy subcommand takes.
    struct DirectoryOptions: ParsableArguments {
        @Argument(help: "The policy directory.")
        var directory: String = "policies"

        /// Compiles the directory, printing diagnostics; exits 2 when it does not compile.
        func compile(printWarnings: Bool = true) throws -> CompiledPolicySet {
            try PolicyCommand.compile(directory: self.directory, printWarnings: printWarnings)
        }
    }

    /// Compiles `directory`, printing diagnostics; exits 2 when it cannot be read or does not compile.
    static func compile(directory: String, printWarnings: Bool) throws -> CompiledPolicySet {
        let result: PolicyCompiler.Result
        do {
            result = try PolicyCompiler.diagnose(directory: directory)
        } catch {
            Console.printError(error.message)
            throw ExitStatus.usage.exitCode
        }
        guard let compiled = result.compiled else {
            Console.report(result.diagnostics)
            throw ExitStatus.usage.exitCode
        }
        if printWarnings { Console.report(result.diagnostics) }
        return compiled
    }

    /// Loads the identity files (JWKS, secrets, trust bundles, CRLs) the policies name; URL key
    /// sets are only registered here, and fetched by the server.
    static func loadIdentity(_ compiled: CompiledPolicySet, keySets: KeySetRegistry) throws -> PolicyAuthenticators {
        do {
            return try IdentityLoader.load(compiled.authentication, keySets: keySets) { skipped in
                Console.printError(skipped.warningDescription)
            }
        } catch {
            for problem in error.problems { Console.printError(problem.errorDescription) }
            throw ExitStatus.usage.exitCode
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report errors and warnings as file:line:col: code: message.",
            discussion: "Also loads the key, secret, trust-bundle and CRL files the policies name.")

        @OptionGroup var options: DirectoryOptions
        @Flag(help: "Exit 1 when there are warnings.") var strict = false

        func run() throws {
            let compiled = try self.options.compile()
            // Key-set, secret, trust-bundle and CRL files are checked too; URL key sets are not fetched.
            let keySets = KeySetRegistry(fetcher: HTTPFetcher(), logger: Logger(label: "gatehouse"))
            _ = try PolicyCommand.loadIdentity(compiled, keySets: keySets)
            if compiled.warnings.isEmpty { Console.print("\(self.options.directory): no problems found") }
            if self.strict && !compiled.warnings.isEmpty { throw ExitStatus.deny.exitCode }
        }
    }

    struct Compile: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compile and summarize: policies, rules, tree nodes, attributes read.")

        @OptionGroup var options: DirectoryOptions

        func run() throws {
            let compiled = try self.options.compile()
            let tree = compiled.tree
            let shadow = tree.policies.reduce(0) { $0 + $1.rules.filter(\.isShadow).count }
            Console.print("revision: \(tree.revision)")
            Console.print("policies: \(tree.policies.count)")
            Console.print("rules: \(tree.ruleCount) (\(shadow) shadow)")
            Console.print("tree nodes: \(tree.nodeCount)")
            Console.print("tests: \(compiled.tests.count)")
            Console.print(
                "attributes read (\(tree.attributesRead.count)): \(tree.attributesRead.map(\.description).joined(separator: ", "))"
            )
            for policy in tree.policies {
                let hosts = policy.selector.hosts.map(\.description)
                let context = policy.selector.contextExtensions.map { "\($0.key)=\($0.values.joined(separator: "|"))" }
                let selector = (hosts + context).joined(separator: ", ")
                Console.print(
                    "  \(policy.name): \(policy.rules.count) rules, \(policy.nodeCount) nodes, selects \(selector.isEmpty ? "every request" : selector) (\(policy.location))"
                )
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the *_test.yaml cases and list rules no test exercises.")

        @OptionGroup var options: DirectoryOptions
        @Flag(name: .shortAndLong, help: "Print every case, not only failures.") var verbose = false
        @Flag(help: "Exit 1 when a rule is not exercised by any test.") var requireCoverage = false

        func run() throws {
            let compiled = try self.options.compile()
            let report = PolicyTestRunner.run(compiled)
            for result in report.results {
                if result.passed {
                    if self.verbose {
                        Console.print("PASS \(result.testCase.location.file): \(result.testCase.name.value)")
                    }
                } else {
                    Console.print("FAIL \(result.testCase.location): \(result.testCase.name.value)")
                    for failure in result.failures { Console.print("     \(failure)") }
                }
            }
            for diagnostic in report.diagnostics where diagnostic.code == .untestedRule {
                Console.print(diagnostic.description)
            }
            Console.print(
                "policy tests: \(report.passedCount) passed, \(report.failedCount) failed, \(report.untestedRules.count) rules untested"
            )
            if report.results.isEmpty { Console.print("no tests found: write *_test.yaml files beside the policies") }
            if report.failedCount > 0 || (self.requireCoverage && !report.untestedRules.isEmpty) {
                throw ExitStatus.deny.exitCode
            }
        }
    }
}
