import ArgumentParser
import Foundation
import _CryptoExtras

/// `gatehouse certs dev`: a development CA and certificates for running Envoy ↔ Gatehouse locally.
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Development certificates.",
        subcommands: [Development.self, Token.self]
    )

    struct Development: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dev",
            abstract:
                "Write a development CA, a Gatehouse server certificate, an Envoy client certificate and example callers.",
            discussion: "The keys are written unencrypted and named *-dev-key.pem: for development and tests only."
        )

        @Option(help: "The output directory.") var out = "certs-dev"
        @Option(help: "Validity in days.") var days = 1095

        func run() throws {
            guard (1...3650).contains(self.days) else { throw ValidationError("--days must be between 1 and 3650.") }
            let pki = try DevelopmentPKI(validity: TimeInterval(self.days) * 86_400)
            let directory = URL(fileURLWithPath: self.out)
            var written = try pki.write(leaves: try DevelopmentPKI.exampleLeaves(), to: directory)
            let provider = try DevelopmentIdentityProvider.generate()
            written.append(try DevelopmentPKI.save(provider.key.pemRepresentation, "idp-dev-key.pem", in: directory))
            written.append(try DevelopmentPKI.save(try provider.jwks(), "idp.jwks.json", in: directory))
            for path in written { Console.print("wrote \(path)") }
        }
    }

    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Print an RS256 access token signed by the development identity provider's key.",
            discussion: """
                For trying the example policies: the token's issuer is https://idp.gov.example, whose \
                development key set policies/keys/idp.jwks.json holds. Example: gatehouse certs token \
                --subject alice --audience civil-registry --claim realm_access.roles=clerk
                """
        )

        @Option(help: "The development signing key.") var key = "certs-dev/idp-dev-key.pem"
        @Option(help: "The sub claim.") var subject = "dev-user"
        @Option(help: "The aud claim.") var audience = "civil-registry"
        @Option(help: "A claim NAME=VALUE (repeatable); a dotted name nests, a repeated name makes an array.")
        var claim: [String] = []
        @Option(help: "Lifetime in seconds.") var lifetime = 3600

        func run() throws {
            var claims: [String: Any] = ["sub": self.subject, "aud": self.audience]
            var arrays: [String: [String]] = [:]
            for entry in self.claim {
                guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                    throw ValidationError("--claim '\(entry)' must be NAME=VALUE.")
                }
                arrays[String(entry[..<equals]), default: []].append(String(entry[entry.index(after: equals)...]))
            }
            for (name, values) in arrays {
                let parts = name.split(separator: ".").map(String.init)
                // Role-like claims are arrays in the example policies (`contains:`); a single value stays a string.
                let value: Any = values.count == 1 && !name.hasSuffix("roles") ? values[0] : values
                claims = Self.setting(value, at: parts[...], in: claims)
            }
            let provider = try DevelopmentIdentityProvider.load(self.key)
            Console.print(try provider.token(claims: claims, issuedAt: Date(), lifetime: TimeInterval(self.lifetime)))
        }

        private static func setting(_ value: Any, at path: ArraySlice<String>, in object: [String: Any]) -> [String:
            Any]
        {
            var object = object
            guard let first = path.first else { return object }
            if path.count == 1 {
                object[first] = value
            } else {
                object[first] = Self.setting(value, at: path.dropFirst(), in: object[first] as? [String: Any] ?? [:])
            }
            return object
        }
    }
}
