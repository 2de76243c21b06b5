import Crypto
import Foundation
import GatehouseTestSupport
import SwiftASN1
import X509

/// CRLs ``TestPKI/crl(by:revoking:thisUpdate:nextUpdate:signingKey:number:extensions:)`` does
/// not make: version 1, and entries with extensions.
enum CRLFactory {
    /// A version 1 CRL (no version field, no extensions) by `issuer` revoking `serials`.
    static func versionOne(by issuer: TestPKI.Authority, revoking serials: [Certificate.SerialNumber]) throws
        -> [UInt8]
    {
        try Self.signed(by: issuer) { coder in
            try Self.algorithm(&coder)
            try coder.serialize(issuer.name)
            try coder.serialize(try TestPKI.utcTime(TestPKI.referenceDate - TestPKI.day))
            try coder.serialize(try TestPKI.utcTime(TestPKI.referenceDate + TestPKI.day))
            try coder.appendConstructedNode(identifier: .sequence) { list in
                for serial in serials {
                    try list.appendConstructedNode(identifier: .sequence) { entry in
                        try entry.serialize(serial.bytes)
                        try entry.serialize(try TestPKI.utcTime(TestPKI.referenceDate - 2 * TestPKI.day))
                    }
                }
            }
        }
    }

    /// A v2 CRL with a CRL number by `issuer` whose one entry (serial 1) carries `extensionValue`.
    static func withEntryExtension(_ extensionValue: Certificate.Extension, by issuer: TestPKI.Authority) throws
        -> [UInt8]
    {
        try Self.signed(by: issuer) { coder in
            try coder.serialize(1)
            try Self.algorithm(&coder)
            try coder.serialize(issuer.name)
            try coder.serialize(try TestPKI.utcTime(TestPKI.referenceDate - TestPKI.day))
            try coder.appendConstructedNode(identifier: .sequence) { list in
                try list.appendConstructedNode(identifier: .sequence) { entry in
                    try entry.serialize(Certificate.SerialNumber(1).bytes)
                    try entry.serialize(try TestPKI.utcTime(TestPKI.referenceDate - 2 * TestPKI.day))
                    try entry.serializeSequenceOf([extensionValue])
                }
            }
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { tagged in
                try tagged.serializeSequenceOf([
                    Certificate.Extension(oid: [2, 5, 29, 20], critical: false, value: [0x02, 0x01, 0x01])
                ])
            }
        }
    }

    private static func signed(
        by issuer: TestPKI.Authority, _ fields: (inout DER.Serializer) throws -> Void
    ) throws -> [UInt8] {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence, fields)
        let signature = try issuer.key.signature(for: tbs.serializedBytes)
        var outer = DER.Serializer()
        try outer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(ASN1Any(derEncoded: try DER.parse(tbs.serializedBytes)))
            try Self.algorithm(&coder)
            try coder.serialize(ASN1BitString(bytes: ArraySlice(signature.derRepresentation)))
        }
        return outer.serializedBytes
    }

    private static func algorithm(_ coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { algorithm in
            try algorithm.serialize([1, 2, 840, 10045, 4, 3, 2] as ASN1ObjectIdentifier)
        }
    }
}
