import ArgumentParser
import Foundation

/// `gatehouse certs dev`: a development CA and certificates for running Envoy ↔ Gatehouse locally.
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Development certificates.",
        subcommands: [Development.self]
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
            let written = try pki.write(leaves: try DevelopmentPKI.exampleLeaves(), to: URL(fileURLWithPath: self.out))
            for path in written { Console.print("wrote \(path)") }
        }
    }
}
