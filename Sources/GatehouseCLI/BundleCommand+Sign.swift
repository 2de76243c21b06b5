import ArgumentParser
import Foundation
import GatehouseBundle
import GatehouseIdentity

extension BundleCommand {
    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a signature (compact JWS, EdDSA or ES256) to a bundle.",
            discussion: """
                The bundle's files are checked against its manifest first, so a changed bundle is never \
                signed. Existing signatures are kept, so a bundle can carry the old and the new key's \
                signature while keys are rotated. KEY is a PEM private key: Ed25519 (openssl genpkey \
                -algorithm ed25519) or P-256.
                """)

        @Argument(help: "The bundle file (.tar.gz).") var file: String
        @Option(help: "The PEM private key to sign with.") var key: String
        @Option(help: "The key id ('kid') its public key has in the servers' bundle keys.") var kid: String
        @Option(name: .shortAndLong, help: "Where to write the signed bundle; default: FILE itself.")
        var output: String?

        func run() throws {
            let archive = try BundleCommand.read(self.file)
            let verified = try BundleCommand.run { try BundleArchive.verify(archive, policy: .unsigned) }
            guard let pem = FileManager.default.contents(atPath: self.key) else {
                Console.printError("The key file '\(self.key)' cannot be read; check the path.")
                throw ExitStatus.usage.exitCode
            }
            let signature: String
            do {
                let key = try BundleSigningKey(pem: String(decoding: pem, as: UTF8.self), keyID: self.kid)
                signature = try key.sign(payload: BundleSignedContent(verified.manifest).payload)
            } catch {
                Console.printError(error.description)
                throw ExitStatus.usage.exitCode
            }
            let signed = try BundleCommand.run { try BundleArchive.adding(signature: signature, to: archive) }
            let output = self.output ?? self.file
            try BundleCommand.write(signed, to: output)
            let count = try BundleCommand.run { try BundleArchive.inspect(signed).signatures?.signatures.count ?? 0 }
            Console.print(
                "wrote \(output): bundle '\(verified.manifest.name)' revision \(verified.manifest.revision) signed "
                    + "with kid '\(self.kid)' (\(count) signature\(count == 1 ? "" : "s"))")
        }
    }
}

extension BundleCommand {
    struct PublicKeys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "jwks",
            abstract: "Print the public JWKS of a bundle signing key, to configure as the servers' bundle keys.",
            discussion: "Concatenate the keys of several JWKS into one file to accept several signing keys (rotation).")

        @Option(help: "The PEM private key (Ed25519 or P-256).") var key: String
        @Option(help: "The key id ('kid') to publish it under.") var kid: String
        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

        func run() throws {
            guard let pem = FileManager.default.contents(atPath: self.key) else {
                Console.printError("The key file '\(self.key)' cannot be read; check the path.")
                throw ExitStatus.usage.exitCode
            }
            let jwks: [UInt8]
            do {
                jwks = try BundleSigningKey(pem: String(decoding: pem, as: UTF8.self), keyID: self.kid).publicJWKS()
            } catch {
                Console.printError(error.description)
                throw ExitStatus.usage.exitCode
            }
            if let output = self.output {
                try BundleCommand.write(jwks, to: output)
            } else {
                FileHandle.standardOutput.write(Data(jwks))
            }
        }
    }
}
