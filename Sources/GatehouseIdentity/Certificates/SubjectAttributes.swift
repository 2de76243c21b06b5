import GatehouseCore
import SwiftASN1
import X509

/// The subject attributes an X-Road mapping can read, from a certificate or from Envoy's principal.
///
/// Names are the RFC 4514 / RFC 4519 descriptors (`C`, `O`, `OU`, `CN`, `serialNumber`, `L`,
/// `ST`, `DC`, `UID`, `STREET`); an attribute is read by its OID, never by how it was spelled.
struct SubjectAttributes: Sendable {
    /// Every string value per descriptor, in the order the name lists them.
    private var values: [String: [String]] = [:]

    /// The attribute types Gatehouse names, with their descriptors.
    static let descriptors: [(name: String, oid: ASN1ObjectIdentifier)] = [
        ("CN", [2, 5, 4, 3]), ("L", [2, 5, 4, 7]), ("ST", [2, 5, 4, 8]), ("O", [2, 5, 4, 10]),
        ("OU", [2, 5, 4, 11]), ("C", [2, 5, 4, 6]), ("STREET", [2, 5, 4, 9]),
        ("DC", [0, 9, 2342, 19_200_300, 100, 1, 25]), ("UID", [0, 9, 2342, 19_200_300, 100, 1, 1]),
        ("serialNumber", [2, 5, 4, 5]),
    ]

    /// The descriptor of `oid`, if Gatehouse names it.
    static func descriptor(of oid: ASN1ObjectIdentifier) -> String? {
        Self.descriptors.first { $0.oid == oid }?.name
    }

    /// The attributes of a certificate's subject; values that are not strings are left out.
    init(_ name: DistinguishedName) {
        for rdn in name {
            for attribute in rdn {
                guard let descriptor = Self.descriptor(of: attribute.type), let text = String(attribute.value) else {
                    continue
                }
                self.values[descriptor, default: []].append(text)
            }
        }
    }

    /// The attributes of an RFC 4514 name as ``RFC4514Name/parse(_:)`` returns them.
    init(_ attributes: [(oid: String, value: String)]) {
        for (oid, value) in attributes {
            guard let descriptor = Self.descriptors.first(where: { $0.oid.description == oid })?.name else { continue }
            self.values[descriptor, default: []].append(value)
        }
    }

    /// No attributes, for a principal that is a URI.
    init() {}

    /// The value of `descriptor` when the name holds exactly one; `nil` when it holds none, or
    /// several (which one a mapping should take would be a guess).
    func single(_ descriptor: String) -> String? {
        guard let found = self.values[descriptor], found.count == 1 else { return nil }
        return found[0]
    }
}
