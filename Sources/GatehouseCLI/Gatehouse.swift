import ArgumentParser
import Foundation

/// The `gatehouse` command.
@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "External authorization for Envoy: policies compiled into a decision tree.",
        discussion:
            "Exit codes: 0 allow / pass, 1 deny / failing test, 2 usage error or a policy that does not compile.",
        version: "0.1.0",
        subcommands: [
            ServeCommand.self, PolicyCommand.self, CheckCommand.self, CertsCommand.self, BundleCommand.self,
            AdminCommand.self, AuditCommand.self,
        ]
    )

    /// Runs the command, mapping ArgumentParser's usage errors (64) to Gatehouse's exit code 2.
    static func main() async {
        do {
            var command = try self.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = self.exitCode(for: error)
            if code == .success || error is ExitCode {
                self.exit(withError: error)
            }
            FileHandle.standardError.write(Data((self.fullMessage(for: error) + "\n").utf8))
            Foundation.exit(
                code == .validationFailure || code.rawValue == 64 ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}

/// Gatehouse's exit statuses.
enum ExitStatus: Int32 {
    /// Allowed, or every test passed.
    case allow = 0
    /// Denied, or a test failed.
    case deny = 1
    /// A usage error or a policy that does not compile.
    case usage = 2

    var exitCode: ExitCode { ExitCode(self.rawValue) }
}
