import ArgumentParser
import Foundation
import GatehouseAdmin
import NIOHTTP1

/// `gatehouse admin`: the admin API's client.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Ask a running server's admin API: status, notify, rollback, upload; hash a token.",
        discussion: """
            Exit codes: 0 done (activated or unchanged), 2 refused (the old revision keeps serving), \
            1 for a transport, authentication or request error. See deploy/ADMIN.md.
            """,
        subcommands: [Status.self, Notify.self, Rollback.self, Upload.self, HashToken.self])

    /// Where and how to reach the admin API.
    struct Connection: ParsableArguments {
        @Option(help: "The admin API's base URL.") var url = "http://127.0.0.1:8181"
        @Option(help: "A bearer token (default: $GATEHOUSE_ADMIN_TOKEN).") var token: String?
        @Option(help: "A client certificate chain (PEM) for mTLS.") var cert: String?
        @Option(help: "The client certificate's private key (PEM).") var key: String?
        @Option(help: "The CA bundle (PEM) the server's certificate must lead to.") var ca: String?
        @Flag(help: "Print the API's JSON instead of a summary.") var json = false

        var client: AdminClient {
            // An empty token (an unset-but-exported variable) is no token.
            let token = self.token ?? ProcessInfo.processInfo.environment["GATEHOUSE_ADMIN_TOKEN"]
            return AdminClient(
                baseURL: self.url, token: token?.isEmpty == false ? token : nil, certificate: self.cert,
                key: self.key, ca: self.ca)
        }

        /// Sends the request, prints the answer, and exits with its status.
        func run(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = nil) async throws {
            let answer: AdminClient.Answer
            do {
                answer = try await self.client.send(method, path, body: body, contentType: contentType)
            } catch let failure as AdminClient.Failure {
                Console.printError(failure.description)
                throw ExitCode(1)
            }
            let status = AdminAnswerPrinter.print(answer, json: self.json)
            if status != 0 { throw ExitCode(status) }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The active revision, recent activations and refusals, key sets, cache (role auditor).")
        @OptionGroup var connection: Connection

        func run() async throws {
            try await self.connection.run(.GET, "/v1/status")
        }
    }

    struct Notify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch the configured source and activate it (role admin).")
        @OptionGroup var connection: Connection
        @Option(help: "The revision the source must hold; another is refused (409) and nothing changes.")
        var revision: String?

        func run() async throws {
            try await self.connection.run(
                .POST, "/v1/policy/notify", body: AdminCommand.revisionBody(self.revision),
                contentType: "application/json")
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Activate a kept revision: the one named, or the one before the active one (role admin).")
        @OptionGroup var connection: Connection
        @Option(help: "The kept revision to activate.") var revision: String?

        func run() async throws {
            try await self.connection.run(
                .POST, "/v1/policy/rollback", body: AdminCommand.revisionBody(self.revision),
                contentType: "application/json")
        }
    }

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a .tar.gz bundle; it is verified, compiled, tested and activated (role admin).")
        @OptionGroup var connection: Connection
        @Argument(help: "The bundle (.tar.gz, from gatehouse bundle build).") var file: String

        func run() async throws {
            guard let bytes = FileManager.default.contents(atPath: self.file) else {
                Console.printError("The bundle '\(self.file)' cannot be read.")
                throw ExitCode(1)
            }
            try await self.connection.run(
                .PUT, "/v1/policy/bundle", body: Array(bytes), contentType: "application/gzip")
        }
    }

    struct HashToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-token",
            abstract: "Read a token from standard input and print its SHA-256 (hex) for admin.tokens[].sha256.")

        func run() async throws {
            let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            let token = input.trimmingCharacters(in: .newlines)
            guard !token.isEmpty else {
                Console.printError(
                    "No token on standard input; pipe one in: printf %s \"$TOKEN\" | gatehouse admin hash-token")
                throw ExitCode(1)
            }
            Console.print(AdminAuthenticator.digestHex(of: token))
        }
    }

    /// `{"revision": "…"}`, or no body.
    static func revisionBody(_ revision: String?) -> [UInt8]? {
        guard let revision else { return nil }
        // A struct of one optional string always encodes.
        return (try? AdminJSON.encoder.encode(AdminDTO.RevisionRequest(revision: revision))).map { Array($0) }
    }
}
