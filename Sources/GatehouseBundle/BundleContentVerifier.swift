import Foundation
import GatehouseCore

/// Checks a bundle read into memory: manifest, file hashes, signatures.
///
/// The order matters for the GHSA-g2pf-6v5v-qcc8 class of bug: whether signatures are required
/// is decided first and alone, so that no combination of missing files and configured keys can
/// make a required signature optional.
enum BundleContentVerifier {
    struct Verified {
        var manifest: BundleManifest
        var signedBy: [String]
        var isManifestDerived: Bool
    }

    static func verify(
        _ files: BundleFiles, policy: BundleVerificationPolicy, derivedName: String, created: String
    ) throws(BundleError) -> Verified {
        guard let manifestBytes = files[BundleLayout.manifestName] else {
            return try Self.derive(files, policy: policy, name: derivedName, created: created)
        }
        let manifest = try BundleManifest.parse(manifestBytes)
        try Self.checkManifest(manifest)
        try Self.checkHashes(files, manifest: manifest)
        let signedBy = try Self.checkSignatures(files, manifest: manifest, policy: policy)
        return Verified(manifest: manifest, signedBy: signedBy, isManifestDerived: false)
    }

    /// A plain policy directory: allowed only when signatures are not required.
    private static func derive(
        _ files: BundleFiles, policy: BundleVerificationPolicy, name: String, created: String
    ) throws(BundleError) -> Verified {
        if policy.requireSignature {
            throw BundleError(
                .signatureMissing,
                "The bundle has no '\(BundleLayout.manifestName)' and so no signature, and signatures are required; "
                    + "build and sign it with 'gatehouse bundle build' and 'gatehouse bundle sign'.")
        }
        if files[BundleLayout.signaturesName] != nil {
            throw BundleError(
                .manifestInvalid,
                "The bundle has '\(BundleLayout.signaturesName)' but no '\(BundleLayout.manifestName)' for it to sign; "
                    + "rebuild it with 'gatehouse bundle build' and sign it again.")
        }
        let manifest = Self.manifest(of: files, name: name, revision: nil, created: created)
        return Verified(manifest: manifest, signedBy: [], isManifestDerived: true)
    }

    /// The manifest of `files` (the reserved files excluded).
    static func manifest(of files: BundleFiles, name: String, revision: String?, created: String) -> BundleManifest {
        let hashes = files.contentNames.map { BundleFileHash(name: $0, hash: BundleHashing.sha256Hex(files[$0] ?? [])) }
        return BundleManifest(
            name: name, revision: revision ?? BundleManifest.derivedRevision(of: hashes), created: created,
            files: hashes)
    }

    private static func checkManifest(_ manifest: BundleManifest) throws(BundleError) {
        guard !manifest.name.isEmpty, !manifest.revision.isEmpty else {
            throw BundleError(
                .manifestInvalid, "The manifest's name or revision is empty; rebuild with --name and --revision.")
        }
        var seen: Set<String> = []
        for file in manifest.files {
            guard file.algorithm == BundleFileHash.sha256 else {
                throw BundleError(
                    .manifestInvalid,
                    "The manifest hashes '\(BundlePath.quoted(file.name))' with '\(BundlePath.quoted(file.algorithm))'; "
                        + "only SHA-256 is accepted, rebuild the bundle.")
            }
            guard BundleHashing.isSHA256Hex(file.hash) else {
                throw BundleError(
                    .manifestInvalid,
                    "The manifest's hash of '\(BundlePath.quoted(file.name))' is not 64 lower-case hex digits; "
                        + "rebuild the bundle.")
            }
            let name = try BundlePath.normalize(file.name, entry: "manifest entry")
            guard name == file.name, !BundlePath.isReserved(name) else {
                throw BundleError(
                    .manifestInvalid,
                    "The manifest lists '\(BundlePath.quoted(file.name))', which is not a plain relative file name; "
                        + "rebuild the bundle.")
            }
            guard seen.insert(name).inserted else {
                throw BundleError(
                    .duplicateEntry,
                    "The manifest lists '\(BundlePath.quoted(name))' twice; rebuild the bundle.")
            }
        }
    }

    private static func checkHashes(_ files: BundleFiles, manifest: BundleManifest) throws(BundleError) {
        let listed = Set(manifest.files.map(\.name))
        for file in manifest.files {
            guard let bytes = files[file.name] else {
                throw BundleError(
                    .fileMissing,
                    "The manifest lists '\(BundlePath.quoted(file.name))' but the bundle does not hold it; "
                        + "rebuild the bundle.")
            }
            guard BundleHashing.sha256Hex(bytes) == file.hash else {
                throw BundleError(
                    .hashMismatch,
                    "The SHA-256 of '\(BundlePath.quoted(file.name))' differs from the manifest's: the file was "
                        + "changed after the bundle was built; rebuild and sign it again.")
            }
        }
        if let extra = files.contentNames.first(where: { !listed.contains($0) }) {
            throw BundleError(
                .fileUnlisted,
                "The bundle holds '\(BundlePath.quoted(extra))', which its manifest does not list: the file was "
                    + "added after the bundle was built; rebuild and sign it again.")
        }
    }

    /// The key ids whose signatures verified; see ``BundleVerificationPolicy`` for the rules.
    private static func checkSignatures(
        _ files: BundleFiles, manifest: BundleManifest, policy: BundleVerificationPolicy
    ) throws(BundleError) -> [String] {
        guard let bytes = files[BundleLayout.signaturesName] else {
            if policy.requireSignature {
                throw BundleError(
                    .signatureMissing,
                    "The bundle '\(manifest.name)' revision '\(manifest.revision)' has no "
                        + "'\(BundleLayout.signaturesName)', and signatures are required; sign it with "
                        + "'gatehouse bundle sign'.")
            }
            return []
        }
        let signatures = try BundleSignatures.parse(bytes).signatures
        guard !signatures.isEmpty else {
            throw BundleError(
                policy.requireSignature ? .signatureMissing : .signatureInvalid,
                "'\(BundleLayout.signaturesName)' lists no signature; sign the bundle with 'gatehouse bundle sign'.")
        }
        guard let verifier = policy.verifier else {
            if policy.requireSignature {
                throw BundleError(
                    .signatureUnknownKey,
                    "Signatures are required but no bundle keys are configured, so no signature can verify; "
                        + "configure the bundle keys (a JWKS file).")
            }
            return []
        }
        return try Self.verifyEach(signatures, manifest: manifest, verifier: verifier)
    }

    private static func verifyEach(
        _ signatures: [String], manifest: BundleManifest, verifier: any BundleSignatureVerifier
    ) throws(BundleError) -> [String] {
        var signedBy: Set<String> = []
        var unknown: [String] = []
        for (index, signature) in signatures.enumerated() {
            let which = "Signature \(index + 1) of '\(BundleLayout.signaturesName)'"
            switch verifier.verify(compactJWS: signature) {
            case .verified(let keyID, let payload):
                guard let content = BundleSignedContent.parse(payload), content.matches(manifest) else {
                    throw BundleError(
                        .signatureInvalid,
                        "\(which) (key '\(keyID)') signs other content than the manifest's name, revision and "
                            + "files; rebuild the bundle and sign it again.")
                }
                signedBy.insert(keyID)
            case .refused(let code, let message) where code == BundleError.Code.signatureUnknownKey.description:
                // Tolerated (a key being rotated out), but it must still claim this very content.
                guard let content = Self.unverifiedContent(signature), content.matches(manifest) else {
                    throw BundleError(
                        .signatureInvalid,
                        "\(which) is by an unknown key and claims other content than the manifest's; remove it "
                            + "and sign the bundle again.")
                }
                unknown.append(message.hasSuffix(".") ? String(message.dropLast()) : message)
            case .refused(let code, let message):
                throw BundleError(.signatureInvalid, "\(which) is refused (\(code)): \(message)")
            }
        }
        guard !signedBy.isEmpty else {
            throw BundleError(
                .signatureUnknownKey,
                "No signature of '\(BundleLayout.signaturesName)' was made by a configured bundle key ("
                    + unknown.joined(separator: "; ") + "); sign with a configured key or add its public key.")
        }
        return signedBy.sorted()
    }

    /// The payload of a compact JWS, read without verifying it.
    private static func unverifiedContent(_ signature: String) -> BundleSignedContent? {
        let parts = signature.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var text = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return BundleSignedContent.parse(Array(data))
    }
}
