import ArgumentParser
import Foundation
import GatehouseBundle
import GatehouseCore
import GatehouseIdentity

extension BundleCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a bundle: archive safety, manifest, file hashes and signatures.",
            discussion: """
                Exit 0 and a one-line summary when the bundle is valid; exit 2 and the error otherwise. \
                With --require-signature, an unsigned bundle or one no key of JWKS signed is refused, \
                as a server with bundles.requireSignature refuses it.
                """)

        @Argument(help: "The bundle file (.tar.gz).") var file: String
        @Option(help: "The bundle keys: a JWKS file of Ed25519 / P-256 public keys.") var keys: String?
        @Flag(help: "Refuse a bundle that is unsigned or not signed by a key of --keys.")
        var requireSignature = false

        func run() throws {
            let archive = try BundleCommand.read(self.file)
            let verifier = try self.keys.map { try BundleCommand.verifier(jwks: $0) }
            let policy = BundleVerificationPolicy(requireSignature: self.requireSignature, verifier: verifier)
            let verified = try BundleCommand.run { try BundleArchive.verify(archive, policy: policy) }
            let signed =
                verified.signedBy.isEmpty
                ? "not signed by a configured key" : "signed by \(verified.signedBy.joined(separator: ", "))"
            Console.print(
                "\(self.file): valid: bundle '\(verified.manifest.name)' revision \(verified.manifest.revision), "
                    + "\(verified.manifest.files.count) files, \(signed)")
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a bundle's name, revision, creation time, files and signatures.",
            discussion:
                "With --keys, says for each signature whether it verifies. Exit 2 when the archive is unreadable.")

        @Argument(help: "The bundle file (.tar.gz).") var file: String
        @Option(help: "The bundle keys (JWKS), to check each signature.") var keys: String?

        func run() throws {
            let archive = try BundleCommand.read(self.file)
            let contents = try BundleCommand.run { try BundleArchive.inspect(archive) }
            let verifier = try self.keys.map { try BundleCommand.verifier(jwks: $0) }
            let manifest = contents.manifest
            Console.print("name: \(manifest.name)")
            Console.print("revision: \(manifest.revision)")
            Console.print("created: \(manifest.created)")
            switch Result(catching: { () throws(BundleError) in try BundleArchive.verify(archive, policy: .unsigned) })
            {
            case .success: Console.print("files: \(manifest.files.count) (every hash matches)")
            case .failure(let error): Console.print("files: \(manifest.files.count) (INVALID: \(error))")
            }
            for file in manifest.files { Console.print("  \(file.hash)  \(file.name)") }
            let signatures = contents.signatures?.signatures ?? []
            Console.print("signatures: \(signatures.count)")
            for signature in signatures {
                Console.print("  " + Self.describe(signature, manifest: manifest, verifier: verifier))
            }
        }

        /// `kid K, alg A[, verifies | does not verify: why]`.
        static func describe(
            _ signature: String, manifest: BundleManifest, verifier: JWSBundleVerifier?
        ) -> String {
            let header = BundleCommand.header(of: signature)
            var line = "kid \(header["kid"] ?? "(none)"), alg \(header["alg"] ?? "(none)")"
            guard let verifier else { return line }
            switch verifier.verify(compactJWS: signature) {
            case .verified(_, let payload):
                let matches = BundleSignedContent.parse(payload) == BundleSignedContent(manifest)
                line += matches ? ", verifies" : ", verifies but signs other content than the manifest"
            case .refused(let code, let message):
                line += ", does not verify (\(code): \(message))"
            }
            return line
        }
    }

    /// The bundle keys from a JWKS file, exiting 2 when it cannot be read or used.
    static func verifier(jwks path: String) throws -> JWSBundleVerifier {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            Console.printError("The bundle keys file '\(path)' cannot be read; check the path.")
            throw ExitStatus.usage.exitCode
        }
        do {
            return try JWSBundleVerifier(jwks: Array(bytes), origin: path)
        } catch {
            Console.printError(error.description)
            throw ExitStatus.usage.exitCode
        }
    }

    /// The string members of a compact JWS's protected header, read without verifying it.
    static func header(of signature: String) -> [String: String] {
        guard let first = signature.split(separator: ".", omittingEmptySubsequences: false).first else { return [:] }
        var text = first.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object.compactMapValues { $0 as? String }
    }
}
