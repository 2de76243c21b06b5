import GatehouseCore

/// An object's members being turned into a record's fields; every member must be used once.
struct AuditLeafFields {
    private var members: [String: AuditLeafValue]
    /// Where the object sits (`active.` for a shadow record's decision), for messages.
    private let path: String

    init(_ members: [String: AuditLeafValue], path: String) {
        self.members = members
        self.path = path
    }

    private func failure(_ key: String, _ what: String) -> AuditError {
        AuditError(.recordMalformed, "The record's field '\(self.path)\(key)' \(what).")
    }

    mutating func optionalString(_ key: String) throws(AuditError) -> String? {
        guard let value = self.members.removeValue(forKey: key) else { return nil }
        guard case .string(let text) = value else { throw self.failure(key, "is not a string") }
        return text
    }

    mutating func string(_ key: String) throws(AuditError) -> String {
        guard let text = try self.optionalString(key) else { throw self.failure(key, "is missing") }
        return text
    }

    mutating func integer(_ key: String) throws(AuditError) -> UInt64 {
        guard let value = self.members.removeValue(forKey: key) else { throw self.failure(key, "is missing") }
        guard case .integer(let number) = value else { throw self.failure(key, "is not an integer") }
        return number
    }

    mutating func status(_ key: String) throws(AuditError) -> UInt16 {
        let number = try self.integer(key)
        guard let status = UInt16(exactly: number) else { throw self.failure(key, "is not an HTTP status") }
        return status
    }

    mutating func time(_ key: String) throws(AuditError) -> UnixTime {
        let text = try self.string(key)
        guard let time = AuditLeafTime.parse(text.utf8) else {
            throw self.failure(key, "is not a time of the form 2026-12-06T00:35:12.123456789Z")
        }
        return time
    }

    mutating func outcome(_ key: String) throws(AuditError) -> Decision.Outcome {
        let text = try self.string(key)
        guard let outcome = Decision.Outcome(rawValue: text) else { throw self.failure(key, "is not allow or deny") }
        return outcome
    }

    mutating func cache(_ key: String) throws(AuditError) -> CacheUse {
        let text = try self.string(key)
        guard let use = CacheUse(rawValue: text) else { throw self.failure(key, "is not a cache outcome") }
        return use
    }

    mutating func strings(_ key: String) throws(AuditError) -> [String] {
        guard let value = self.members.removeValue(forKey: key) else { return [] }
        guard case .array(let elements) = value else { throw self.failure(key, "is not a list") }
        var texts: [String] = []
        for element in elements {
            guard case .string(let text) = element else { throw self.failure(key, "holds a non-string") }
            texts.append(text)
        }
        return texts
    }

    mutating func stringMap(_ key: String) throws(AuditError) -> [String: String] {
        guard let value = self.members.removeValue(forKey: key) else { return [:] }
        guard case .object(let members) = value else { throw self.failure(key, "is not an object") }
        var map: [String: String] = [:]
        for (name, member) in members {
            guard case .string(let text) = member else { throw self.failure(key, "holds a non-string") }
            map[name] = text
        }
        return map
    }

    mutating func object(_ key: String) throws(AuditError) -> AuditLeafFields {
        guard let value = self.members.removeValue(forKey: key) else { throw self.failure(key, "is missing") }
        guard case .object(let members) = value else { throw self.failure(key, "is not an object") }
        return AuditLeafFields(members, path: "\(self.path)\(key).")
    }

    /// Refuses members no field used.
    func finish() throws(AuditError) {
        guard let unknown = self.members.keys.sorted().first else { return }
        throw self.failure(unknown, "is not one this record kind has")
    }
}
