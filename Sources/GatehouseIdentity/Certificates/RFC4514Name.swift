import GatehouseCore
import SwiftASN1
import X509

/// Distinguished names as RFC 4514 text: rendered for ``PeerIdentity/subject``, parsed from
/// Envoy's `source.principal`.
enum RFC4514Name {
    /// `name` as RFC 4514 text: last RDN first, registered descriptors or dotted OIDs, `+` inside
    /// a multi-valued RDN, non-string values as `#` and their DER in hex.
    ///
    /// Besides the characters RFC 4514 requires escaping, control characters are written as
    /// `\XX`, so a subject can never break a log line or header.
    static func render(_ name: DistinguishedName) -> String {
        name.reversed().map { rdn in
            rdn.map { attribute in
                let type = SubjectAttributes.descriptor(of: attribute.type) ?? attribute.type.description
                return type + "=" + Self.renderValue(attribute.value)
            }.joined(separator: "+")
        }.joined(separator: ",")
    }

    private static func renderValue(_ value: RelativeDistinguishedName.Attribute.Value) -> String {
        guard let text = String(value) else {
            var serializer = DER.Serializer()
            guard (try? serializer.serialize(ASN1Any(value))) != nil else { return "#" }
            return "#" + serializer.serializedBytes.map { Self.hex($0) }.joined()
        }
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        for (index, byte) in bytes.enumerated() {
            let isEdge =
                (index == 0 && (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "#")))
                || (index == bytes.count - 1 && byte == UInt8(ascii: " "))
            if byte < 0x20 || byte == 0x7F {
                result += Array(("\\" + Self.hex(byte)).utf8)
            } else if isEdge || #""+,;<>\"#.utf8.contains(byte) {
                result += [UInt8(ascii: "\\"), byte]
            } else {
                result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Parses RFC 4514 text (as OpenSSL's RFC 2253 mode prints it, which Envoy uses) into
    /// (dotted OID, value) pairs; `nil` when it is not a distinguished name.
    ///
    /// Attribute types are descriptors (case-insensitive) or dotted OIDs; unknown descriptors
    /// are kept under their name and never match. Values may use `\` escapes of special
    /// characters and `\XX` byte escapes; `#` hex values and quoted values are refused.
    static func parse(_ text: String) -> [(oid: String, value: String)]? {
        var result: [(oid: String, value: String)] = []
        var bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty else { return nil }
        while true {
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            guard let oid = Self.attributeType(String(decoding: bytes[..<equals], as: UTF8.self)) else { return nil }
            bytes = bytes[(equals + 1)...]
            guard let (value, separator) = Self.value(&bytes) else { return nil }
            result.append((oid, value))
            if separator == nil { return result }
        }
    }

    private static func attributeType(_ type: String) -> String? {
        if let known = SubjectAttributes.descriptors.first(where: {
            ASCII.equal(ASCII.lowercased($0.name), ASCII.lowercased(type))
        }) {
            return known.oid.description
        }
        if ASCII.equal(ASCII.lowercased(type), "emailaddress") { return "1.2.840.113549.1.9.1" }
        let isNumericOID = type.utf8.allSatisfy { $0 == UInt8(ascii: ".") || (0x30...0x39).contains($0) }
        let isDescriptor =
            type.utf8.first.map { (0x41...0x5A).contains($0 & 0xDF) } == true
            && type.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0 & 0xDF) || $0 == 0x2D }
        guard !type.isEmpty, isNumericOID || isDescriptor else { return nil }
        return type
    }

    /// Reads one value up to an unescaped `,` or `+` (consumed) or the end.
    private static func value(_ bytes: inout ArraySlice<UInt8>) -> (String, UInt8?)? {
        var decoded: [UInt8] = []
        if let first = bytes.first, first == UInt8(ascii: "#") || first == UInt8(ascii: "\"") { return nil }
        while let byte = bytes.popFirst() {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "+"):
                guard let text = String(validating: decoded, as: UTF8.self) else { return nil }
                return (text, byte)
            case UInt8(ascii: "\\"):
                guard let next = bytes.popFirst() else { return nil }
                if let high = Self.hexDigit(next) {
                    guard let second = bytes.popFirst(), let low = Self.hexDigit(second) else { return nil }
                    decoded.append(high << 4 | low)
                } else if Self.escapable.contains(next) {
                    decoded.append(next)
                } else {
                    return nil
                }
            case UInt8(ascii: "\""), UInt8(ascii: ";"), UInt8(ascii: "<"), UInt8(ascii: ">"), 0:
                return nil
            default:
                decoded.append(byte)
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self) else { return nil }
        return (text, nil)
    }

    /// The characters RFC 4514 lets a backslash escape directly.
    private static let escapable = Array(" \"#+,;<>\\=".utf8)

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
