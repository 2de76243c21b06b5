import Crypto
import Foundation
import GatehouseTestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `gatehouse serve` reading a signed `.tar.gz` bundle, with signatures required, the directory
/// watch off (every reload is one the test asked for) and the admin API on a bearer token.
///
/// Both listeners bind port 0; the ports are read from the log lines that announce them.
final class ReloadServer: Sendable {
    /// The bundle file the server's `policies` names; replaced (by rename) before each notify.
    let bundle: URL
    let process: ChildProcess
    let grpcPort: Int
    let adminPort: Int
    /// The admin role's bearer token (its SHA-256 is in the configuration).
    static let token = "reload-test-admin-token"

    private init(bundle: URL, process: ChildProcess, grpcPort: Int, adminPort: Int) {
        self.bundle = bundle
        self.process = process
        self.grpcPort = grpcPort
        self.adminPort = adminPort
    }

    /// Starts a server on `initial`, runs `body`, and stops it with SIGTERM whether `body` returns or throws.
    static func with<Result>(
        directory: URL, keys jwks: [UInt8], initial: [UInt8], extraSettings: String = "",
        _ body: (ReloadServer) async throws -> Result
    ) async throws -> Result {
        let bundle = directory.appendingPathComponent("current.tar.gz")
        try Data(initial).write(to: bundle)
        try Data(jwks).write(to: directory.appendingPathComponent("bundle-keys.jwks"))
        let digest = SHA256.hash(data: Array(Self.token.utf8)).map { String(format: "%02x", $0) }.joined()
        let configuration = """
            policies: \(bundle.path)
            grpc:
              listeners:
                - address: 127.0.0.1:0
            bundles:
              requireSignature: true
              keys: \(directory.appendingPathComponent("bundle-keys.jwks").path)
              store: \(directory.appendingPathComponent("store").path)
              watch: false
            audit: { store: audit/decisions.db, key: audit/key.pem }
            admin:
              listen: 127.0.0.1:0
              tokens:
                - { name: reload-test, sha256: \(digest), role: admin }
            log:
              level: info
            \(extraSettings)
            """
        let configurationFile = directory.appendingPathComponent("gatehouse.yaml")
        try Data(configuration.utf8).write(to: configurationFile)
        let process = try ChildProcess(
            name: "gatehouse", executable: Repository.gatehouse.path,
            arguments: ["serve", "--config", configurationFile.path],
            logFile: directory.appendingPathComponent("gatehouse.log"))
        do {
            try await process.waitForLog("gatehouse.address=127.0.0.1:")
            try await process.waitForLog("gatehouse.admin.address=127.0.0.1:")
            let server = ReloadServer(
                bundle: bundle, process: process,
                grpcPort: try Self.port(after: "gatehouse.address=127.0.0.1:", in: process.log),
                adminPort: try Self.port(after: "gatehouse.admin.address=127.0.0.1:", in: process.log))
            let result = try await body(server)
            await process.terminate()
            return result
        } catch {
            await process.terminate()
            throw error
        }
    }

    private static func port(after marker: String, in log: String) throws -> Int {
        guard let range = log.range(of: marker),
            let port = Int(log[range.upperBound...].prefix { $0.isNumber }), port > 0
        else { throw ChildProcessError(message: "no port after '\(marker)' in the log:\n\(log)") }
        return port
    }

    /// Replaces the bundle file atomically, so a reload never reads half of it.
    func publish(_ archive: [UInt8]) throws {
        let staging = self.bundle.deletingLastPathComponent().appendingPathComponent("next.tar.gz")
        try Data(archive).write(to: staging)
        guard rename(staging.path, self.bundle.path) == 0 else {
            throw ChildProcessError(message: "rename to \(self.bundle.path) failed: errno \(errno)")
        }
    }

    /// `POST /v1/policy/notify`: fetch the bundle and activate it; answers once it is active or refused.
    func notify() async throws -> AdminOutcome {
        try await self.call("POST", "/v1/policy/notify", body: Data("{}".utf8))
    }

    /// `GET /v1/status`.
    func status() async throws -> AdminStatus {
        try await self.call("GET", "/v1/status")
    }

    private func call<Answer: Decodable>(_ method: String, _ path: String, body: Data? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(self.adminPort)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        request.setValue("Bearer \(Self.token)", forHTTPHeaderField: "Authorization")
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        request.timeoutInterval = 30
        let (data, _) = try await URLSession.shared.data(for: request)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(Answer.self, from: data)
        } catch {
            throw ChildProcessError(
                message: "\(method) \(path) answered \(String(decoding: data, as: UTF8.self)): \(error)")
        }
    }
}

/// The parts of the admin API's answers the reload tests read.
struct AdminOutcome: Decodable, Sendable {
    var outcome: String
    var revision: String?
    var failure: AdminFailure?
}

struct AdminFailure: Decodable, Sendable, Equatable {
    var stage: String
    var code: String
    var message: String
}

struct AdminStatus: Decodable, Sendable {
    struct Activation: Decodable, Sendable {
        var revision: String
        var signedBy: [String]
    }
    var ready: Bool
    var active: Activation?
    var lastFailure: AdminFailure?
    var failures: [AdminFailure]
}
