import ArgumentParser
import GatehouseCore
import GatehousePolicy

/// `gatehouse check`: decide one request against a policy directory.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Decide one request against the policies; exit 0 on allow, 1 on deny.",
        discussion: """
            The identity flags give the facts the identity layer would have verified; nothing is \
            verified here. Example:
              gatehouse check --policies policies --method GET --path /births/42 \\
                --host civil-registry.gov.example --issuer https://idp.gov.example \\
                --subject alice --claim realm_access.roles=clerk --explain
            """
    )

    @Option(help: "The policy directory.") var policies = "policies"
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
        let request = try self.makeRequest()
        let identity = try self.identity.makeIdentity()
        let compiled = try PolicyCommand.compile(directory: self.policies, printWarnings: false)
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

    private func makeRequest() throws -> AuthzRequest {
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
            contextExtensions: extensions)
    }
}
