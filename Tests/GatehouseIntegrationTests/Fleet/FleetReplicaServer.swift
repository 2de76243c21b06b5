import Crypto
import Foundation
import GatehouseTestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `gatehouse serve` as one replica of a fleet: a shared policy directory (watch off, so only
/// the fleet and the test reload it), its own bundle store and decision log, the admin API on a
/// bearer token, and `fleet.postgres` naming the test's PostgreSQL as its own role.
///
/// Both listeners bind port 0; the ports are read from the log lines that announce them.
final class FleetReplicaServer: Sendable {
    let name: String
    let process: ChildProcess
    let grpcPort: Int
    let adminPort: Int
    /// The admin role's bearer token (its SHA-256 is in the configuration).
    static let token = "fleet-test-admin-token"

    private init(name: String, process: ChildProcess, grpcPort: Int, adminPort: Int) {
        self.name = name
        self.process = process
        self.grpcPort = grpcPort
        self.adminPort = adminPort
    }

    /// Starts a replica named `name` in `directory` (created), following the fleet at `fleetURL`;
    /// its decision log in `audit/decisions.db`, or in the PostgreSQL at `auditStore`.
    static func start(
        name: String, directory: URL, policies: URL, fleetURL: String, auditStore: String? = nil
    ) async throws -> FleetReplicaServer {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let digest = SHA256.hash(data: Array(Self.token.utf8)).map { String(format: "%02x", $0) }.joined()
        let configuration = """
            policies: \(policies.path)
            grpc:
              listeners:
                - address: 127.0.0.1:0
            bundles: { store: store, watch: false }
            audit: { store: "\(auditStore ?? "audit/decisions.db")", key: audit/key.pem, instance: \(name) }
            admin:
              listen: 127.0.0.1:0
              tokens:
                - { name: fleet-test, sha256: \(digest), role: admin }
            fleet: { postgres: "\(fleetURL)" }
            log:
              level: info
            """
        let file = directory.appendingPathComponent("gatehouse.yaml")
        try Data(configuration.utf8).write(to: file)
        let process = try ChildProcess(
            name: "gatehouse-\(name)", executable: Repository.gatehouse.path,
            arguments: ["serve", "--config", file.path], logFile: directory.appendingPathComponent("gatehouse.log"))
        do {
            try await process.waitForLog("gatehouse.address=127.0.0.1:")
            try await process.waitForLog("gatehouse.admin.address=127.0.0.1:")
            return FleetReplicaServer(
                name: name, process: process,
                grpcPort: try Self.port(after: "gatehouse.address=127.0.0.1:", in: process.log),
                adminPort: try Self.port(after: "gatehouse.admin.address=127.0.0.1:", in: process.log))
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

    /// `POST /v1/policy/notify`: activate the source here and publish it to the fleet.
    func notify() async throws -> AdminOutcome {
        try await self.call("POST", "/v1/policy/notify", body: Data("{}".utf8))
    }

    /// `GET /v1/status`, with its `fleet` block.
    func status() async throws -> FleetAdminStatus {
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

/// The parts of `/v1/status` the fleet tests read.
struct FleetAdminStatus: Decodable, Sendable {
    struct Activation: Decodable, Sendable {
        var revision: String
        var trigger: String
        var digest: String?
    }
    struct Revision: Decodable, Sendable {
        var revision: String
        var digest: String
    }
    struct Replica: Decodable, Sendable {
        var replica: String
        var revision: String
        var onDesired: Bool
    }
    struct Fleet: Decodable, Sendable {
        var replica: String
        var listening: Bool
        var desired: Revision?
        var replicas: [Replica]
        var error: String?
    }
    var active: Activation?
    var fleet: Fleet?
}
