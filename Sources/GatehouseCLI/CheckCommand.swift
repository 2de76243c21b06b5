import ArgumentParser
import Foundation
import GatehouseCore
import GatehousePolicy

/// `gatehouse check`: decide one request against a policy directory.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Decide one request against the policies; exit 0 on allow, 1 on deny.",
        discussion: """
            The identity flags give the facts the identity layer would have verified; nothing is \
            verified here. The request is decided as `gatehouse serve` would with the same \
            settings: --config, GATEHOUSE_* variables and --policies/--dot-segments give the policy \
            directory and paths.dotSegments (see deploy/CONFIGURATION.md). Example:
              gatehouse check --policies policies --method GET --path /births/42 \\
                --host civil-registry.gov.example --issuer https://idp.gov.example \\
                --subject alice --claim realm_access.roles=clerk --explain
            """
    )

    @Option(help: "A gatehouse serve configuration file, to decide as that server would.") var config: String?
    @Option(help: "The policy directory (default: the configuration's, else ./policies).") var policies: String?
    @Option(help: "reject (default) or normalize: a path's '.' and '..' segments and encoded dots (paths.dotSegments).")
    var dotSegments: String?
    @Option(help: "The HTTP method.") var method = "GET"
    @Option(help: "The raw request path, query allowed.") var path = "/"
    @Option(help: "The :authority (host, port allowed).") var host = ""
    @Option(name: .customLong("header"), help: "A request header as name:value (repeatable).") var headers: [String] =
        []
    @Option(name: .customLong("context"), help: "An Envoy context extension as key=value (repeatable).")
    var contextExtensions: [String] = []
    @Option(help: "The caller's IP address.") var sourceAddress: String?
    @OptionGroup var identity: IdentityOptions
    @Flag(help: "Print the path through the tree and the deciding rule.") var explain = false
    @Flag(help: "Print the decision as JSON.") var json = false

    func run() throws {
        let settings = try self.settings()
        let request = try self.makeRequest(paths: settings.paths)
        let identity = try self.identity.makeIdentity()
        let compiled = try PolicyCommand.compile(directory: settings.policies, printWarnings: false)
        var tracer = RecordingTracer()
        let decision = compiled.tree.evaluate(request, identity: identity, tracer: &tracer)
        if self.json {
            Console.print(
                Console.json(DecisionPrinter.jsonObject(decision, explanation: self.explain ? tracer.events : nil)))
        } else {
            if self.explain { for event in tracer.events { Console.print(event.description) } }
            for line in DecisionPrinter.lines(decision) { Console.print(line) }
        }
        if !decision.isAllowed { throw ExitStatus.deny.exitCode }
    }

    /// The settings `serve` would run with, of which `check` uses the policy directory and the paths settings.
    private func settings() throws -> ServeConfiguration {
        var flags: [String: [String]] = [:]
        if let policies = self.policies { flags["--policies"] = [policies] }
        if let dotSegments = self.dotSegments { flags["--dot-segments"] = [dotSegments] }
        do {
            let (settings, problems) = try ServeConfiguration.compose(
                file: self.config, environment: ProcessInfo.processInfo.environment, flags: flags)
            guard problems.isEmpty else { throw ConfigurationError(code: .invalidConfiguration, problems: problems) }
            return settings
        } catch let error as ConfigurationError {
            Console.printError(error.description)
            throw ExitStatus.usage.exitCode
        }
    }

    private func makeRequest(paths: PathNormalizer.Configuration) throws -> AuthzRequest {
        var headers: [(String, String)] = []
        for header in self.headers {
            guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                throw ValidationError("--header '\(header)' must be name:value.")
            }
            let value = header[header.index(after: colon)...].drop { $0 == " " }
            headers.append((String(header[..<colon]), String(value)))
        }
        var extensions: [String: String] = [:]
        for pair in self.contextExtensions {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--context '\(pair)' must be key=value.")
            }
            extensions[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        var source = Peer()
        if let text = self.sourceAddress {
            guard let address = IPAddress(text) else {
                throw ValidationError("--source-address '\(text)' is not an IP address.")
            }
            source.address = address
        }
        return AuthzRequest(
            method: self.method, path: self.path, host: self.host, scheme: "https", headers: headers, source: source,
            contextExtensions: extensions, paths: paths)
    }
}
