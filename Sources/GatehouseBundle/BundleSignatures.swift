/// `.signatures.json`, modelled on OPA's: `{"signatures": ["<compact JWS>", …]}`.
///
/// Each JWS's payload is ``BundleSignedContent``: the manifest's name, revision and files. Several
/// signatures let a signing key be rotated (sign with the new key, keep the old signature).
package struct BundleSignatures: Sendable, Hashable, Codable {
    /// Compact JWS strings.
    package var signatures: [String]

    /// A signature file.
    package init(signatures: [String]) { self.signatures = signatures }

    /// The file's bytes.
    package var jsonBytes: [UInt8] { BundleJSON.encode(self) }

    /// Parses `.signatures.json`; anything but an object with an array of strings is `signature_invalid`.
    package static func parse(_ bytes: [UInt8]) throws(BundleError) -> BundleSignatures {
        switch BundleJSON.decode(BundleSignatures.self, bytes) {
        case .success(let file): return file
        case .failure(let error):
            throw BundleError(
                .signatureInvalid,
                "'\(BundleLayout.signaturesName)' is not a signature file (\(BundleManifest.reason(error)); it must be "
                    + "{\"signatures\": [\"<compact JWS>\", …]}); sign the bundle again with 'gatehouse bundle sign'.")
        }
    }
}

/// What a bundle signature signs: the manifest's name, revision and file list (OPA's payload
/// lists `files`; name and revision bind the signature to one revision).
package struct BundleSignedContent: Sendable, Hashable, Codable {
    /// The bundle's name.
    package var name: String
    /// The bundle's revision.
    package var revision: String
    /// Every file and its SHA-256, sorted by name.
    package var files: [BundleFileHash]

    /// The content a signature over `manifest` must carry.
    package init(_ manifest: BundleManifest) {
        self.name = manifest.name
        self.revision = manifest.revision
        self.files = manifest.files.sorted { $0.name < $1.name }
    }

    /// The payload bytes to sign.
    package var payload: [UInt8] { BundleJSON.encode(self) }

    /// Parses a signature's payload; `nil` when it is not this shape.
    package static func parse(_ payload: [UInt8]) -> BundleSignedContent? {
        try? BundleJSON.decode(BundleSignedContent.self, payload).get()
    }

    /// Whether this content names exactly `manifest`'s name, revision and files.
    func matches(_ manifest: BundleManifest) -> Bool {
        self.name == manifest.name && self.revision == manifest.revision
            && Set(self.files) == Set(manifest.files) && self.files.count == manifest.files.count
    }
}
