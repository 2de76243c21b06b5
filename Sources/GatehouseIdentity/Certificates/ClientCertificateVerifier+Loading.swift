import Foundation
package import GatehouseCore
import SwiftASN1
import X509

extension ClientCertificateVerifier {
    /// Loads the trust bundle and CRL files the settings name (paths are already resolved).
    ///
    /// The trust bundle is PEM (any number of `CERTIFICATE` blocks) or one DER certificate; every
    /// certificate in it must be a CA, and at least one must be a self-signed root. CRL files
    /// are PEM (`X509 CRL` blocks) or one DER CRL, each verified now by its issuer in the bundle,
    /// or, when no CA of the bundle bears its issuer name, later by the intermediate of that
    /// name met while building a path (a root-only bundle with intermediates' CRLs).
    ///
    /// - Throws: ``IdentityError`` at the policy line naming the file, when a file is missing or
    ///   unreadable, is not PEM or DER, holds no certificate or something other than certificates
    ///   (``IdentityError/Code/fileUnreadable``, ``IdentityError/Code/fileTooLarge``,
    ///   ``IdentityError/Code/fileMalformed``), holds a non-CA certificate or no root
    ///   (``IdentityError/Code/trustBundleInvalid``), or a CRL is invalid, lacks its CRL number,
    ///   or bundle CAs bear its issuer name but none verifies its signature (the `revocationList…` codes).
    package init(settings: MutualTLSSettings) throws(IdentityError) {
        var bundle: [Certificate] = []
        if let path = settings.trustBundle {
            bundle = try Self.loadTrustBundle(path)
        }
        var crls: [CertificateRevocationList] = []
        for path in settings.crls {
            crls += try Self.loadRevocationLists(path, issuers: bundle)
        }
        self.init(trustBundle: bundle, crls: crls, trustDomain: settings.trustDomain, xroad: settings.xroad)
    }

    /// The largest trust bundle or CRL file read.
    static let maximumFileBytes = 16 * 1024 * 1024

    private static func loadTrustBundle(_ path: Located<String>) throws(IdentityError) -> [Certificate] {
        let fail = { (problem: String) in
            IdentityError(
                code: .trustBundleInvalid, message: "The trust bundle '\(path.value)' \(problem)",
                location: path.location)
        }
        let documents = try Self.read(path, label: "CERTIFICATE", what: "trust bundle")
        var certificates: [Certificate] = []
        for (index, der) in documents.enumerated() {
            guard let certificate = try? Certificate(derEncoded: der) else {
                throw fail("holds a certificate (number \(index + 1)) that is not valid X.509; export it again.")
            }
            guard certificate.isCertificateAuthority == true else {
                throw fail(
                    "holds \(certificate.displayName), which is not a CA certificate; a trust bundle holds only roots and intermediates, never client certificates."
                )
            }
            certificates.append(certificate)
        }
        guard certificates.contains(where: \.isSelfSigned) else {
            throw fail("holds no self-signed root certificate; add the root CA that the intermediates chain to.")
        }
        return certificates
    }

    private static func loadRevocationLists(
        _ path: Located<String>, issuers: [Certificate]
    ) throws(IdentityError) -> [CertificateRevocationList] {
        let documents = try Self.read(path, label: "X509 CRL", what: "CRL file")
        var lists: [CertificateRevocationList] = []
        for der in documents {
            do {
                lists.append(try CertificateRevocationList(derEncoded: der, issuers: issuers))
            } catch {
                throw IdentityError(
                    code: error.code, message: "The CRL file '\(path.value)': \(error.message)",
                    location: path.location, cause: error.cause)
            }
        }
        return lists
    }

    /// The DER documents in a PEM file (blocks labelled `label`, nothing else) or a DER file.
    private static func read(
        _ path: Located<String>, label: String, what: String
    ) throws(IdentityError) -> [[UInt8]] {
        let fail = { (code: IdentityError.Code, problem: String) in
            IdentityError(code: code, message: "The \(what) '\(path.value)' \(problem)", location: path.location)
        }
        guard let data = FileManager.default.contents(atPath: path.value) else {
            throw fail(
                .fileUnreadable,
                "does not exist or cannot be read; check the path (relative to the policy file) and permissions.")
        }
        guard data.count <= Self.maximumFileBytes else {
            throw fail(.fileTooLarge, "is \(data.count) bytes, over the limit of \(Self.maximumFileBytes).")
        }
        let bytes = [UInt8](data)
        guard
            bytes.starts(with: Array("-----BEGIN".utf8))
                || String(decoding: bytes, as: UTF8.self).contains("-----BEGIN ")
        else {
            // Not PEM: one DER structure (a SEQUENCE), or nothing usable.
            guard bytes.first == 0x30 else {
                throw fail(.fileMalformed, "is neither PEM nor DER; give a PEM or DER file.")
            }
            return [bytes]
        }
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw fail(.fileMalformed, "is not valid PEM (\(error)); check for truncated or edited blocks.")
        }
        if let other = documents.first(where: { $0.discriminator != label }) {
            throw fail(.fileMalformed, "holds a '\(other.discriminator)' block; it must hold only '\(label)' blocks.")
        }
        guard !documents.isEmpty else { throw fail(.fileMalformed, "holds no '\(label)' block.") }
        return documents.map(\.derBytes)
    }
}
