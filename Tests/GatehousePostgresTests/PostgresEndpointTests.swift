import GatehousePostgres
import PostgresNIO
import Testing

@Suite("PostgresEndpoint")
struct PostgresEndpointTests {
    @Test("Reads user, password, host, port, database, sslmode and the caller's parameters")
    func reads() throws {
        let endpoint = try PostgresEndpoint(
            url: "postgresql://gate:s%40cret@db.example:6543/fleet?sslmode=require&pool=8", setting: "audit.store",
            parameters: ["pool"])
        #expect(endpoint.username == "gate")
        #expect(endpoint.password == "s@cret")
        #expect(endpoint.host == "db.example")
        #expect(endpoint.port == 6543)
        #expect(endpoint.database == "fleet")
        #expect(endpoint.tls == .require)
        #expect(endpoint.parameters == ["pool": "8"])
        #expect(endpoint.description == "postgres://gate:***@db.example:6543/fleet?sslmode=require")
    }

    @Test("Defaults: port 5432, user postgres, database named as the user, sslmode prefer")
    func defaults() throws {
        let endpoint = try PostgresEndpoint(url: "postgres://db", setting: "fleet.postgres")
        #expect(endpoint.port == 5432)
        #expect(endpoint.username == "postgres")
        #expect(endpoint.database == "postgres")
        #expect(endpoint.password == nil)
        #expect(endpoint.tls == .prefer)
        #expect(PostgresEndpoint.isURL("postgresql://db"))
        #expect(!PostgresEndpoint.isURL(".gatehouse/decisions.db"))
    }

    @Test(
        "Refuses what it cannot use, naming the setting and the fix, never the password",
        arguments: [
            ("mysql://u:pw@db/x", "fleet.postgres 'mysql://u:***@db/x' is not a postgres:// URL"),
            ("postgres:///x", "fleet.postgres 'postgres:///x' names no host"),
            ("postgres://u:pw@db/x?sslmode=verify-ca", "sslmode 'verify-ca' is not supported; use one of disable"),
            ("postgres://u:pw@db/x?pool=3", "parameter 'pool' is not supported; only sslmode is"),
        ])
    func refuses(url: String, message: String) {
        let error = #expect(throws: PostgresEndpointError.self) {
            try PostgresEndpoint(url: url, setting: "fleet.postgres")
        }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("pw") == false)
    }

    @Test("Names the parameters a caller takes when refusing another")
    func namesAllowedParameters() {
        let error = #expect(throws: PostgresEndpointError.self) {
            try PostgresEndpoint(url: "postgres://db/x?timeout=3", setting: "audit.store", parameters: ["pool"])
        }
        #expect(error?.description == "audit.store parameter 'timeout' is not supported; only sslmode and pool are")
    }

    @Test("The pool's and a single connection's configuration carry the endpoint and a short application name")
    func configurations() throws {
        let endpoint = try PostgresEndpoint(url: "postgres://gh:pw@db:6000/log?sslmode=disable", setting: "audit.store")
        let name = String(repeating: "é", count: 40)
        let pool = endpoint.clientConfiguration(applicationName: name, maximumConnections: 7)
        #expect(pool.host == "db" && pool.port == 6000 && pool.username == "gh" && pool.database == "log")
        #expect(pool.options.maximumConnections == 7)
        let applicationName = try #require(pool.options.additionalStartupParameters.first)
        #expect(applicationName.0 == "application_name")
        #expect(applicationName.1.utf8.count <= 63 && applicationName.1.allSatisfy { $0 == "é" })
        let single = try endpoint.connectionConfiguration(applicationName: "gatehouse-fleet r1")
        #expect(single.host == "db" && single.port == 6000 && single.database == "log")
    }
}
