import GatehouseCore
import GatehouseFleet
import GatehousePostgres
import Testing

@Suite("PostgresFleetConfiguration")
struct PostgresFleetConfigurationTests {
    @Test("Reads user, password, host, port, database and sslmode from the URL")
    func readsURL() throws {
        let configuration = try PostgresFleetConfiguration(
            url: "postgresql://gate:s%40cret@db.example:6543/fleet?sslmode=require", replica: "r1")
        #expect(configuration.endpoint.username == "gate")
        #expect(configuration.endpoint.password == "s@cret")
        #expect(configuration.endpoint.host == "db.example")
        #expect(configuration.endpoint.port == 6543)
        #expect(configuration.endpoint.database == "fleet")
        #expect(configuration.endpoint.tls == .require)
        #expect(configuration.replica == "r1")
        #expect(configuration.description == "postgres://gate:***@db.example:6543/fleet?sslmode=require")
    }

    @Test("Defaults: port 5432, user postgres, database named as the user, sslmode prefer, 30 s reconcile")
    func defaults() throws {
        let configuration = try PostgresFleetConfiguration(url: "postgres://db", replica: "r1")
        #expect(configuration.endpoint.port == 5432)
        #expect(configuration.endpoint.username == "postgres")
        #expect(configuration.endpoint.database == "postgres")
        #expect(configuration.endpoint.password == nil)
        #expect(configuration.endpoint.tls == .prefer)
        #expect(configuration.reconcileInterval == .seconds(30))
        #expect(configuration.channel == "gatehouse_fleet")
    }

    @Test(
        "Refuses what it cannot use, naming the fix and never the password",
        arguments: [
            ("mysql://u:pw@db/x", "is not a postgres:// URL"),
            ("postgres:///x", "names no host"),
            ("postgres://u:pw@db/x?sslmode=verify-ca", "sslmode 'verify-ca' is not supported"),
            ("postgres://u:pw@db/x?timeout=3", "parameter 'timeout' is not supported"),
        ])
    func refusesBadURLs(url: String, message: String) {
        let error = #expect(throws: FleetError.self) { try PostgresFleetConfiguration(url: url, replica: "r1") }
        #expect(error?.code == .invalidURL)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("pw") == false)
    }

    @Test("Notifications carry only the revision and digest, and decode back")
    func noticeRoundTrip() throws {
        let payload = try FleetNotice.encode(
            FleetRevision(revision: "r1", digest: "sha256:ab", publishedBy: "admin", publishedAt: .init(seconds: 1)))
        #expect(payload == #"{"digest":"sha256:ab","revision":"r1"}"#)
        #expect(FleetNotice.decode(payload) == FleetRevision(revision: "r1", digest: "sha256:ab"))
        #expect(FleetNotice.decode("not json") == nil)
    }
}
