import Foundation
import GatehouseAdmin
import GatehouseGRPC
import Yams

/// The `admin.*` settings whose values are lists or mappings.
extension ConfigFileReader {
    /// `admin.tokens`: `{name, sha256, role}` mappings; the hash is 64 hex digits, the role one of AdminRole's.
    mutating func adminTokens(_ node: Node, key: String) -> [AdminAccess.Token] {
        var tokens: [AdminAccess.Token] = []
        for (item, itemKey) in self.items(node, key: key) {
            if let token = self.adminToken(item, key: itemKey) { tokens.append(token) }
        }
        return tokens
    }

    private mutating func adminToken(_ item: Node, key itemKey: String) -> AdminAccess.Token? {
        guard let entries = self.mapping(item, allowed: ["name", "sha256", "role"], what: itemKey) else {
            return nil
        }
        guard let nameNode = entries["name"], let hashNode = entries["sha256"], let roleNode = entries["role"]
        else {
            self.problems.append("\(self.at(item))\(itemKey) needs 'name', 'sha256' and 'role'.")
            return nil
        }
        guard let name = self.value(nameNode, "\(itemKey).name", .string),
            let digest = self.value(hashNode, "\(itemKey).sha256", .sha256Hex),
            let role = self.value(roleNode, "\(itemKey).role", SettingParser<AdminRole>.choice("a role"))
        else { return nil }
        return AdminAccess.Token(name: name, digest: digest, role: role)
    }

    /// `admin.clients`: `{spiffe, role}` or `{subject, role}` mappings.
    mutating func adminClients(_ node: Node, key: String) -> [AdminAccess.Client] {
        var clients: [AdminAccess.Client] = []
        for (item, itemKey) in self.items(node, key: key) {
            if let client = self.adminClient(item, key: itemKey) { clients.append(client) }
        }
        return clients
    }

    private mutating func adminClient(_ item: Node, key itemKey: String) -> AdminAccess.Client? {
        guard let entries = self.mapping(item, allowed: ["spiffe", "subject", "role"], what: itemKey) else {
            return nil
        }
        guard let roleNode = entries["role"], (entries["spiffe"] == nil) != (entries["subject"] == nil) else {
            self.problems.append("\(self.at(item))\(itemKey) needs 'role' and one of 'spiffe' or 'subject'.")
            return nil
        }
        guard let role = self.value(roleNode, "\(itemKey).role", SettingParser<AdminRole>.choice("a role")) else {
            return nil
        }
        if let spiffeNode = entries["spiffe"] {
            guard let id = self.value(spiffeNode, "\(itemKey).spiffe", .string) else { return nil }
            guard id.hasPrefix("spiffe://") else {
                self.problems.append("\(self.at(spiffeNode))\(itemKey).spiffe: '\(id)' is not a spiffe:// ID.")
                return nil
            }
            return AdminAccess.Client(.spiffeID(id), role: role)
        }
        // One of the two is present (checked above).
        guard let subjectNode = entries["subject"],
            let subject = self.value(subjectNode, "\(itemKey).subject", .string)
        else { return nil }
        return AdminAccess.Client(.subject(subject), role: role)
    }

    /// `admin.tls`: certificate and key, and `clientCA` (with `crls`, `trustDomain`) for client certificates.
    mutating func adminTLS(_ node: Node, key: String) -> AdminSettings.TLS? {
        // `none` (the default as the reference writes it) or a YAML null: plain HTTP.
        if case .scalar(let scalar) = node, ["none", "null", "~", ""].contains(scalar.string) { return nil }
        guard
            let tls = self.mapping(
                node, allowed: ["certificate", "key", "clientCA", "crls", "trustDomain"], what: key)
        else { return nil }
        guard let certificateNode = tls["certificate"], let keyNode = tls["key"] else {
            self.problems.append("\(self.at(node))\(key) needs 'certificate' and 'key'.")
            return nil
        }
        guard let certificate = self.value(certificateNode, "\(key).certificate", .path),
            let privateKey = self.value(keyNode, "\(key).key", .path)
        else { return nil }
        guard let caNode = tls["clientCA"] else {
            for name in ["crls", "trustDomain"] {
                guard let node = tls[name] else { continue }
                self.problems.append("\(self.at(node))\(key).\(name) needs clientCA (client certificates).")
            }
            return AdminSettings.TLS(certificateChain: certificate, privateKey: privateKey)
        }
        let clients = self.clientCertificates(tls, caNode: caNode, tlsKey: key)
        return AdminSettings.TLS(certificateChain: certificate, privateKey: privateKey, clients: clients)
    }

    /// The items of a list, each with its key (`admin.tokens[2]`).
    mutating func items(_ node: Node, key: String) -> [(Node, String)] {
        guard case .sequence(let items) = node else {
            self.problems.append("\(self.at(node))\(key) must be a list.")
            return []
        }
        return items.enumerated().map { ($0.element, "\(key)[\($0.offset)]") }
    }
}

extension SettingParser where Value == [UInt8] {
    /// A SHA-256 digest as 64 hex digits, in either case.
    static let sha256Hex = SettingParser(
        type: "sha256 hex", expected: "a SHA-256 as 64 hex digits (gatehouse admin hash-token prints it)",
        parse: { text, _ in
            guard text.utf8.count == 64 else { return nil }
            var bytes: [UInt8] = []
            var index = text.startIndex
            while index < text.endIndex {
                let next = text.index(index, offsetBy: 2)
                guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
                bytes.append(byte)
                index = next
            }
            return bytes
        }, format: { $0.map { String(format: "%02x", $0) }.joined() })
}

extension AdminSettings {
    /// What can only be checked once everything is composed: readable files, clients that can be
    /// verified, an address no gRPC listener takes.
    func problems(grpcListeners: [ListenerConfiguration]) -> [String] {
        var problems: [String] = []
        if let listen = self.listen, listen.port != 0,
            grpcListeners.contains(where: { $0.address == .tcp(host: listen.host, port: listen.port) })
        {
            problems.append(
                "admin.listen: '\(listen)' is also a gRPC listener's address; give the admin API a port of its own.")
        }
        if let tls = self.tls {
            for (name, path) in [("certificate", tls.certificateChain), ("key", tls.privateKey)]
            where !FileManager.default.isReadableFile(atPath: path) {
                problems.append("admin.tls.\(name): the file '\(path)' cannot be read.")
            }
        }
        if !self.clients.isEmpty, self.tls?.clients == nil {
            problems.append(
                "admin.clients: client certificates are mapped to roles but admin.tls has no clientCA to verify them with; add admin.tls with certificate, key and clientCA."
            )
        }
        return problems
    }
}
