package import GatehouseAdmin
package import GatehouseGRPC

/// The `admin.*` settings: where the admin API listens, who may call it in which role, and the
/// largest bundle it takes.
package struct AdminSettings: Sendable, Hashable {
    /// A `HOST:PORT` to listen on.
    package struct Address: Sendable, Hashable, CustomStringConvertible {
        package var host: String
        package var port: Int

        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `HOST:PORT` or `[V6]:PORT`; the port 0–65535.
        package init?(_ text: String) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                (0...65_535).contains(port)
            else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, !host.contains("/") else { return nil }
            self.init(host: host, port: port)
        }

        package var description: String {
            self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
        }
    }

    /// HTTPS for the admin listener, and client certificates when `clients` is set.
    package struct TLS: Sendable, Hashable {
        package var certificateChain: String
        package var privateKey: String
        /// How client certificates are verified (`clientCA`, `crls`, `trustDomain`); `nil` for TLS
        /// without client certificates.
        package var clients: ClientCertificateSettings?

        package init(certificateChain: String, privateKey: String, clients: ClientCertificateSettings? = nil) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
            self.clients = clients
        }
    }

    /// Where the admin API listens; `nil` turns it off.
    package var listen: Address? = Address(host: "127.0.0.1", port: 8181)
    package var maxBundleBytes = AdminAPI.defaultMaxBundleBytes
    package var tokens: [AdminAccess.Token] = []
    package var clients: [AdminAccess.Client] = []
    package var tls: TLS?
    /// Where the AuthZEN API has a listener of its own (`authzen.listen`); `nil` (the default) for none.
    package var authzenListen: Address?
    /// Whether the admin listener serves the AuthZEN API too (`authzen.onAdmin`, default on).
    package var authzenOnAdmin = true

    package init() {}

    /// Who may call, as the API takes it.
    package var access: AdminAccess { AdminAccess(tokens: self.tokens, clients: self.clients) }
}

extension SettingParser where Value == AdminSettings.Address? {
    /// `HOST:PORT`, or `off`.
    static let adminListen = SettingParser(
        type: "address or off", expected: "an address (HOST:PORT or [V6]:PORT) or off",
        parse: { text, _ in text.lowercased() == "off" ? .some(nil) : AdminSettings.Address(text).map { .some($0) } },
        format: { $0.map(\.description) ?? "off" })
}

extension SettingParser where Value == [AdminAccess.Token] {
    /// Only the file sets tokens (a list of mappings read by `ConfigFileReader`).
    static let adminTokens = SettingParser(
        type: "list of {name, sha256, role}", expected: "a list of {name, sha256, role} mappings",
        parse: { _, _ in nil }, format: { $0.isEmpty ? "[]" : "\($0.count) tokens" })
}

extension SettingParser where Value == [AdminAccess.Client] {
    /// Only the file sets clients (a list of mappings read by `ConfigFileReader`).
    static let adminClients = SettingParser(
        type: "list of {spiffe or subject, role}", expected: "a list of {spiffe or subject, role} mappings",
        parse: { _, _ in nil }, format: { $0.isEmpty ? "[]" : "\($0.count) clients" })
}

extension SettingParser where Value == AdminSettings.TLS? {
    /// Only the file sets TLS (a mapping read by `ConfigFileReader`).
    static let adminTLS = SettingParser(
        type: "mapping", expected: "a mapping {certificate, key, clientCA, crls, trustDomain}",
        parse: { _, _ in nil }, format: { $0 == nil ? "none" : "set" })
}
