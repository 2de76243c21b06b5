import Foundation
import GatehouseCore
import GatehouseGRPC
import GatehouseHTTPAuthz
import GatehouseIdentity
import Yams

/// Reads `gatehouse.yaml` through ``ServeSettings/table``, reporting each problem as
/// `file:line:col: key: what and how to fix it`.
///
/// The table gives the keys allowed in every section and parses every scalar; only the
/// listener list, a list of mappings, has a reader of its own here.
struct ConfigFileReader {
    let path: String
    var problems: [String] = []

    init(path: String) { self.path = path }

    mutating func read(into configuration: inout ServeConfiguration) throws {
        guard let text = try? String(contentsOfFile: self.path, encoding: .utf8) else {
            throw ConfigurationError(
                code: .unreadableFile, problems: ["\(self.path): the file cannot be read as UTF-8 text."])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(code: .unreadableFile, problems: ["\(self.path): not valid YAML: \(error)"])
        }
        guard let root else { return }
        self.readSection(root, "", into: &configuration)
        // Sections are read in the table's order; report in the file's.
        self.problems = self.problems.enumerated().sorted { left, right in
            let (a, b) = (self.position(of: left.element), self.position(of: right.element))
            return a != b ? a.lexicographicallyPrecedes(b) : left.offset < right.offset
        }.map(\.element)
    }

    /// The line and column a problem starts with (`path:line:col: …`).
    private func position(of problem: String) -> [Int] {
        problem.dropFirst(self.path.count + 1).split(separator: ":", maxSplits: 2).prefix(2).compactMap { Int($0) }
    }

    /// A mapping whose keys are the table's keys under `section`: settings or further sections.
    private mutating func readSection(_ node: Node, _ section: String, into configuration: inout ServeConfiguration) {
        let names = ServeSettings.children(of: section)
        guard
            let entries = self.mapping(
                node, allowed: names, what: section.isEmpty ? "the configuration" : section, section: section)
        else { return }
        for name in names {
            guard let value = entries[name] else { continue }
            let key = section.isEmpty ? name : "\(section).\(name)"
            if let setting = ServeSettings.setting(key: key) {
                self.readSetting(value, setting, into: &configuration)
            } else {
                self.readSection(value, key, into: &configuration)
            }
        }
    }

    private mutating func readSetting(
        _ node: Node, _ setting: ServeSetting, into configuration: inout ServeConfiguration
    ) {
        switch setting.nodeReader {
        case .listeners:
            guard case .sequence(let items) = node else {
                self.problems.append("\(self.at(node))\(setting.key) must be a list.")
                return
            }
            configuration.grpc.listeners = items.enumerated().compactMap {
                self.listener($0.element, key: "\(setting.key)[\($0.offset)]")
            }
        case .httpListeners:
            guard case .sequence(let items) = node else {
                self.problems.append("\(self.at(node))\(setting.key) must be a list.")
                return
            }
            configuration.httpAuthz.listeners = items.enumerated().compactMap {
                self.listener($0.element, key: "\(setting.key)[\($0.offset)]")
            }
        case .httpRoutes:
            configuration.httpAuthz.routes = self.httpRoutes(node, key: setting.key)
        case .adminTokens:
            configuration.admin.tokens = self.adminTokens(node, key: setting.key)
        case .adminClients:
            configuration.admin.clients = self.adminClients(node, key: setting.key)
        case .adminTLS:
            configuration.admin.tls = self.adminTLS(node, key: setting.key)
        case nil:
            guard let text = self.scalar(node, setting.key) else { return }
            self.problems += setting.apply([text], self.source(node, setting.key), &configuration)
        }
    }

    // MARK: Listeners

    /// One `{address, tls, trustForwardedIdentity}` mapping of `grpc.listeners` or `httpAuthz.listeners`.
    ///
    /// `trustForwardedIdentity: true` is refused (at its line) on a listener whose callers are
    /// not pinned: only a Unix socket or an mTLS listener with `allowedClients` may vouch for
    /// the principal Envoy forwards.
    private mutating func listener(_ node: Node, key: String) -> ListenerConfiguration? {
        let allowed = ["address", "tls", "trustForwardedIdentity"]
        guard let entries = self.mapping(node, allowed: allowed, what: key),
            var listener = self.listener(entries, node, key: key)
        else { return nil }
        let trustKey = "\(key).trustForwardedIdentity"
        guard let trustNode = entries["trustForwardedIdentity"], let trusted = self.value(trustNode, trustKey, .toggle)
        else { return listener }
        if trusted, !listener.pinsItsCallers {
            self.problems.append(
                "\(self.at(trustNode))\(trustKey): the listener '\(listener.address)' does not pin its callers, so anyone who can connect could forge the identity Envoy forwards; trust forwarded identities only on a Unix socket (unix:PATH) or an mTLS listener with tls.allowedClients."
            )
        }
        listener.trustsForwardedIdentity = trusted
        return listener
    }

    /// A listener's address and security.
    private mutating func listener(_ entries: [String: Node], _ node: Node, key: String) -> ListenerConfiguration? {
        guard let addressNode = entries["address"] else {
            self.problems.append("\(self.at(node))\(key) needs 'address'.")
            return nil
        }
        guard let address = self.value(addressNode, "\(key).address", .address) else { return nil }
        guard let tlsNode = entries["tls"] else { return ListenerConfiguration(address: address) }
        let tlsKey = "\(key).tls"
        guard
            let tls = self.mapping(
                tlsNode, allowed: ["certificate", "key", "clientCA", "crls", "trustDomain", "allowedClients"],
                what: tlsKey)
        else { return nil }
        guard let certificateNode = tls["certificate"], let keyNode = tls["key"] else {
            self.problems.append("\(self.at(tlsNode))\(tlsKey) needs 'certificate' and 'key'.")
            return nil
        }
        guard let certificate = self.value(certificateNode, "\(tlsKey).certificate", .path),
            let privateKey = self.value(keyNode, "\(tlsKey).key", .path)
        else { return nil }
        guard let caNode = tls["clientCA"] else {
            for name in ["crls", "trustDomain", "allowedClients"] {
                guard let node = tls[name] else { continue }
                self.problems.append("\(self.at(node))\(tlsKey).\(name) needs clientCA (mTLS).")
            }
            return ListenerConfiguration(
                address: address, security: .tls(certificateChain: certificate, privateKey: privateKey))
        }
        guard let clients = self.clientCertificates(tls, caNode: caNode, tlsKey: tlsKey) else { return nil }
        return ListenerConfiguration(
            address: address,
            security: .mutualTLS(certificateChain: certificate, privateKey: privateKey, clients: clients))
    }

    /// The client verification of an mTLS listener: `clientCA`, `crls`, `trustDomain` and
    /// `allowedClients`, with the CA and CRL files loaded once to report what is wrong with them.
    mutating func clientCertificates(
        _ tls: [String: Node], caNode: Node, tlsKey: String
    ) -> ClientCertificateSettings? {
        guard let clientCA = self.value(caNode, "\(tlsKey).clientCA", .path) else { return nil }
        var clients = ClientCertificateSettings(clientCA: clientCA)
        var crlLocations: [SourceLocation] = []
        if let crlsNode = tls["crls"] {
            let items: [Node]
            if case .sequence(let sequence) = crlsNode { items = Array(sequence) } else { items = [crlsNode] }
            for item in items {
                guard let path = self.value(item, "\(tlsKey).crls", .path) else { continue }
                clients.crls.append(path)
                crlLocations.append(self.location(item))
            }
        }
        if let domainNode = tls["trustDomain"], let domain = self.value(domainNode, "\(tlsKey).trustDomain", .string) {
            if !ListenerVerifiers.isTrustDomain(domain) {
                self.problems.append(
                    "\(self.at(domainNode))\(tlsKey).trustDomain: '\(domain)' is not a SPIFFE trust domain (lower-case letters, digits, '.', '-', '_'; no scheme or path)."
                )
            }
            clients.trustDomain = domain
        }
        let allowedKey = "\(tlsKey).allowedClients"
        if let allowedNode = tls["allowedClients"],
            let allowed = self.mapping(allowedNode, allowed: ["spiffeIds", "subjects"], what: allowedKey)
        {
            clients.allowedClients.spiffeIDs =
                allowed["spiffeIds"].map { self.strings($0, "\(allowedKey).spiffeIds") } ?? []
            clients.allowedClients.subjects =
                allowed["subjects"].map { self.strings($0, "\(allowedKey).subjects") } ?? []
        }
        do {
            _ = try ListenerVerifiers.verifier(
                for: clients, clientCAAt: self.location(caNode), crlsAt: crlLocations)
        } catch {
            let key = error.location == self.location(caNode) ? "clientCA" : "crls"
            self.problems.append("\(error.location ?? self.location(caNode)): \(tlsKey).\(key): \(error.message)")
        }
        // Kept even when a file is bad, so that the listener is not also reported missing.
        return clients
    }

    func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: self.path, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    // MARK: Typed reads

    func at(_ node: Node) -> String {
        "\(self.path):\(node.mark?.line ?? 1):\(node.mark?.column ?? 1): "
    }

    func source(_ node: Node, _ key: String) -> SettingSource {
        .file(path: self.path, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1, key: key)
    }

    /// A mapping's entries, each key one of `allowed`; any other key is a problem (a removed
    /// setting's says so, when `section` names where the mapping sits among the settings).
    mutating func mapping(_ node: Node, allowed: [String], what: String, section: String? = nil) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            self.problems.append("\(self.at(node))\(what) must be a mapping.")
            return nil
        }
        var entries: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string, allowed.contains(name) else {
                if let section, let name = key.string,
                    let removed = ServeSettings.removed.first(where: {
                        $0.key == (section.isEmpty ? name : "\(section).\(name)")
                    })
                {
                    self.problems.append(
                        "\(self.at(key))\(removed.key): this setting was removed: \(removed.why); delete it.")
                    continue
                }
                self.problems.append(
                    "\(self.at(key))\(what) has no key '\(key.string ?? "?")'; allowed: \(allowed.joined(separator: ", "))."
                )
                continue
            }
            entries[name] = value
        }
        return entries
    }

    /// A scalar's text; a list or mapping where one value belongs is a problem.
    private mutating func scalar(_ node: Node, _ key: String) -> String? {
        guard case .scalar(let scalar) = node else {
            self.problems.append("\(self.at(node))\(key) must be a single value, not a list or mapping.")
            return nil
        }
        return scalar.string
    }

    /// A scalar parsed with one of the table's parsers, with the table's message when it is bad.
    mutating func value<Value>(_ node: Node, _ key: String, _ parser: SettingParser<Value>) -> Value? {
        guard let text = self.scalar(node, key) else { return nil }
        let source = self.source(node, key)
        guard let value = parser.parse(text, source) else {
            self.problems.append(parser.problem(text, from: source))
            return nil
        }
        return value
    }

    private mutating func strings(_ node: Node, _ key: String) -> [String] {
        guard case .sequence(let items) = node else {
            self.problems.append("\(self.at(node))\(key) must be a list.")
            return []
        }
        return items.compactMap { self.value($0, key, .string) }
    }
}
