import ArgumentParser
import Foundation
import GatehouseBundle
import GatehouseCore
import GatehousePolicy

/// `gatehouse bundle build|sign|verify|inspect`: policy bundles as `.tar.gz` files with a
/// manifest and detached signatures (see policies/BUNDLES.md).
struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Build, sign, verify and inspect policy bundles (.tar.gz with a manifest and signatures).",
        discussion: "The format is described in policies/BUNDLES.md.",
        subcommands: [Build.self, Sign.self, Verify.self, Inspect.self, PublicKeys.self]
    )

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compile a policy directory and write it as a bundle with a manifest.",
            discussion: """
                The manifest (.manifest.json: name, revision, created, the SHA-256 of every file) is written \
                into the archive, not into DIR. Hidden files (names starting with '.') are left out. The \
                archive is deterministic: the same files, name, revision and creation time give the same \
                bytes (set --created or SOURCE_DATE_EPOCH to fix the time). A directory that does not \
                compile is refused (exit 2).
                """)

        @Argument(help: "The policy directory.") var directory: String
        @Option(name: .shortAndLong, help: "The bundle file to write (.tar.gz).") var output: String
        @Option(help: "The revision; default: sha256: and 16 hex digits of the files' digest.") var revision: String?
        @Option(help: "The bundle's name; default: the directory's name.") var name: String?
        @Option(help: "The creation time in seconds since 1970; default: SOURCE_DATE_EPOCH, else now.")
        var created: Int?

        func run() throws {
            let name = self.name ?? URL(fileURLWithPath: self.directory).standardizedFileURL.lastPathComponent
            let created =
                self.created ?? ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int($0) }
                ?? Int(Date().timeIntervalSince1970)
            // Compiled from the copy that is packed, so the bundle holds exactly what compiled.
            let built = try BundleCommand.run {
                try BundleArchive.build(
                    directory: self.directory, name: name, revision: self.revision, created: created
                ) { copy in
                    try Self.compile(copy, as: self.directory)
                }
            }
            try BundleCommand.write(built.archive, to: self.output)
            Console.print(
                "wrote \(self.output): bundle '\(built.manifest.name)' revision \(built.manifest.revision), "
                    + "\(built.manifest.files.count) files, unsigned")
        }

        /// Compiles the copy about to be packed, printing its diagnostics under `directory`'s
        /// paths (not the temporary copy's); exits 2 when it does not compile.
        static func compile(_ copy: String, as directory: String) throws {
            let result: PolicyCompiler.Result
            do {
                result = try PolicyCompiler.diagnose(directory: copy)
            } catch {
                Console.printError(error.message)
                throw ExitStatus.usage.exitCode
            }
            let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
            let diagnostics = result.diagnostics.map { diagnostic in
                var diagnostic = diagnostic
                if diagnostic.location.file.hasPrefix(copy) {
                    diagnostic.location.file = base + diagnostic.location.file.dropFirst(copy.count)
                }
                return diagnostic
            }
            Console.report(diagnostics)
            if result.compiled == nil { throw ExitStatus.usage.exitCode }
        }
    }

    /// Runs a bundle operation, printing a ``BundleError`` and exiting 2 when it fails.
    static func run<Value>(_ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch let error as BundleError {
            Console.printError(error.description)
            throw ExitStatus.usage.exitCode
        }
    }

    /// Reads a bundle file, exiting 2 when it cannot be read.
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            Console.printError("source_unreadable: The bundle file '\(path)' cannot be read; check the path.")
            throw ExitStatus.usage.exitCode
        }
        return Array(data)
    }

    /// Writes a bundle file atomically (a temporary file renamed), exiting 2 when it cannot.
    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            Console.printError("The bundle file '\(path)' cannot be written: \(error.localizedDescription)")
            throw ExitStatus.usage.exitCode
        }
    }
}
