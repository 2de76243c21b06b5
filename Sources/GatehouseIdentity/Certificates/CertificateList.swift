import GatehouseCore
import SwiftASN1
import X509

/// The DER structure of an X.509 v2 CRL (RFC 5280 §5.1), decoded but not yet trusted.
///
/// ```
/// CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm AlgorithmIdentifier,
///                                signatureValue BIT STRING }
/// TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier, issuer Name,
///     thisUpdate Time, nextUpdate Time OPTIONAL,
///     revokedCertificates SEQUENCE OF SEQUENCE { userCertificate INTEGER, revocationDate Time,
///                                                crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
///     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
/// ```
struct CertificateList {
    /// One revoked certificate.
    struct Entry {
        var serialNumber: Certificate.SerialNumber
        var extensions: [Certificate.Extension]
    }

    /// The DER of `tbsCertList`, which the signature covers.
    var signedBytes: ArraySlice<UInt8>
    /// The algorithm both `signature` fields name (they must agree).
    var signatureAlgorithm: Certificate.SignatureAlgorithm
    var signature: ArraySlice<UInt8>
    /// 1 for a v1 CRL (no version field), 2 for v2.
    var version: Int
    var issuer: DistinguishedName
    var thisUpdate: UnixTime
    var nextUpdate: UnixTime?
    var entries: [Entry]
    var extensions: [Certificate.Extension]

    /// Decodes `bytes`, or throws an ``IdentityError`` (``IdentityError/Code/revocationListMalformed``
    /// or ``IdentityError/Code/revocationListUnsupported``, its message the end of a sentence about
    /// the CRL) or an ASN.1 error saying what is wrong.
    init(derEncoded bytes: [UInt8]) throws {
        let (tbs, algorithm, signature) = try DER.sequence(DER.parse(bytes), identifier: .sequence) { nodes in
            let tbs = try Self.required(nodes.next(), "tbsCertList")
            let algorithm = try AlgorithmIdentifierBytes(node: nodes.next())
            let bits = try ASN1BitString(derEncoded: &nodes)
            guard bits.paddingBits == 0 else {
                throw IdentityError.malformedCRL("its signature is not a whole number of bytes")
            }
            return (tbs, algorithm, bits.bytes)
        }
        self.signedBytes = tbs.encodedBytes
        self.signature = signature
        let fields = try DER.sequence(tbs, identifier: .sequence) { nodes in try Self.decodeTBS(&nodes) }
        (self.version, self.issuer, self.thisUpdate) = (fields.version, fields.issuer, fields.thisUpdate)
        (self.nextUpdate, self.entries, self.extensions) = (fields.nextUpdate, fields.entries, fields.extensions)
        guard fields.algorithm == algorithm else {
            throw IdentityError.malformedCRL("its two signature algorithm fields differ")
        }
        guard let signatureAlgorithm = algorithm.signatureAlgorithm else {
            throw IdentityError(
                code: .revocationListUnsupported,
                message: "it is signed with an algorithm Gatehouse does not verify (\(algorithm.oid))")
        }
        self.signatureAlgorithm = signatureAlgorithm
        if self.version == 1, !self.extensions.isEmpty || self.entries.contains(where: { !$0.extensions.isEmpty }) {
            throw IdentityError.malformedCRL("it is version 1 but has extensions")
        }
    }

    /// The fields of `tbsCertList`, with the defaults of absent optional ones.
    private struct TBSFields {
        var version = 1
        var algorithm: AlgorithmIdentifierBytes?
        var issuer = DistinguishedName()
        var thisUpdate = UnixTime(seconds: 0)
        var nextUpdate: UnixTime?
        var entries: [Entry] = []
        var extensions: [Certificate.Extension] = []
    }

    private static func decodeTBS(_ nodes: inout ASN1NodeCollection.Iterator) throws -> TBSFields {
        var list = TBSFields()
        if let version = try DER.optionalImplicitlyTagged(&nodes, tag: .integer) as Int? {
            guard version == 1 else {
                throw IdentityError.malformedCRL("its version field is \(version); a v2 CRL has 1")
            }
            list.version = 2
        }
        list.algorithm = try AlgorithmIdentifierBytes(node: nodes.next())
        list.issuer = try DistinguishedName(derEncoded: Self.required(nodes.next(), "issuer"))
        list.thisUpdate = try UnixTime(asn1Time: Self.required(nodes.next(), "thisUpdate"))
        var lookahead = nodes
        if let node = lookahead.next(), node.identifier == .utcTime || node.identifier == .generalizedTime {
            list.nextUpdate = try UnixTime(asn1Time: node)
            nodes = lookahead
        }
        lookahead = nodes
        if let node = lookahead.next(), node.identifier == .sequence {
            list.entries = try DER.sequence(node, identifier: .sequence) { revoked in
                var entries: [Entry] = []
                while let entry = revoked.next() { entries.append(try Self.entry(entry)) }
                return entries
            }
            nodes = lookahead
        }
        let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
            try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: $0)
        }
        list.extensions = extensions ?? []
        return list
    }

    private static func entry(_ node: ASN1Node) throws -> Entry {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            _ = try UnixTime(asn1Time: Self.required(nodes.next(), "revocationDate"))
            let extensions =
                try nodes.next().map {
                    try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: $0)
                }
                ?? []
            return Entry(serialNumber: Certificate.SerialNumber(bytes: serial), extensions: extensions)
        }
    }

    private static func required(_ node: ASN1Node?, _ field: String) throws -> ASN1Node {
        guard let node else { throw IdentityError.malformedCRL("it lacks \(field)") }
        return node
    }
}

extension IdentityError {
    /// What is wrong with a CRL's encoding, as the end of a sentence about the CRL.
    fileprivate static func malformedCRL(_ what: String) -> IdentityError {
        IdentityError(code: .revocationListMalformed, message: what)
    }
}

/// An `AlgorithmIdentifier` (OID and optional parameters), kept as bytes to compare the two copies.
struct AlgorithmIdentifierBytes: Equatable {
    var oid: ASN1ObjectIdentifier
    var parameters: ArraySlice<UInt8>?

    init(node: ASN1Node?) throws {
        guard let node else { throw IdentityError.malformedCRL("it lacks a signature algorithm") }
        (self.oid, self.parameters) = try DER.sequence(node, identifier: .sequence) { nodes in
            (try ASN1ObjectIdentifier(derEncoded: &nodes), nodes.next()?.encodedBytes)
        }
    }

    /// The algorithm swift-certificates verifies, when parameters are as RFC 5754/8410 require:
    /// NULL or absent for RSA PKCS #1 v1.5, absent for ECDSA and Ed25519. SHA-1 is refused.
    var signatureAlgorithm: Certificate.SignatureAlgorithm? {
        let null: [UInt8] = [0x05, 0x00]
        let rsaParametersOK = self.parameters == nil || self.parameters.map(Array.init) == null
        switch self.oid {
        case [1, 2, 840, 113_549, 1, 1, 11] where rsaParametersOK: return .sha256WithRSAEncryption
        case [1, 2, 840, 113_549, 1, 1, 12] where rsaParametersOK: return .sha384WithRSAEncryption
        case [1, 2, 840, 113_549, 1, 1, 13] where rsaParametersOK: return .sha512WithRSAEncryption
        case [1, 2, 840, 10045, 4, 3, 2] where self.parameters == nil: return .ecdsaWithSHA256
        case [1, 2, 840, 10045, 4, 3, 3] where self.parameters == nil: return .ecdsaWithSHA384
        case [1, 2, 840, 10045, 4, 3, 4] where self.parameters == nil: return .ecdsaWithSHA512
        case [1, 3, 101, 112] where self.parameters == nil: return .ed25519
        default: return nil
        }
    }
}
