import GatehouseAuditPostgres
import GatehousePostgres
import Testing

@Suite("PostgresAuditConfiguration")
struct PostgresAuditConfigurationTests {
    @Test("Reads the URL as fleet.postgres does, with sslmode and pool")
    func reads() throws {
        let configuration = try PostgresAuditConfiguration(
            url: "postgres://audit:s3cret@db.example:6543/decisions?sslmode=require&pool=8")
        #expect(configuration.endpoint.host == "db.example")
        #expect(configuration.endpoint.port == 6543)
        #expect(configuration.endpoint.username == "audit")
        #expect(configuration.endpoint.password == "s3cret")
        #expect(configuration.endpoint.database == "decisions")
        #expect(configuration.endpoint.tls == .require)
        #expect(configuration.maximumConnections == 8)
        #expect(configuration.description == "postgres://audit:***@db.example:6543/decisions?sslmode=require")
    }

    @Test("Defaults: port 5432, user postgres, database named as the user, sslmode prefer")
    func defaults() throws {
        let configuration = try PostgresAuditConfiguration(url: "postgresql://db")
        #expect(configuration.endpoint.port == 5432)
        #expect(configuration.endpoint.username == "postgres")
        #expect(configuration.endpoint.database == "postgres")
        #expect(configuration.endpoint.tls == .prefer)
        #expect(PostgresAuditConfiguration.isURL("postgresql://db"))
        #expect(!PostgresAuditConfiguration.isURL(".gatehouse/decisions.db"))
    }

    @Test("Refuses what it cannot use, without printing the password")
    func refuses() {
        for url in [
            "mysql://db/x", "postgres:///x", "postgres://u:pw@db/x?sslmode=verify-full",
            "postgres://u:pw@db/x?pool=0", "postgres://u:pw@db/x?timeout=3",
        ] {
            #expect(throws: PostgresAuditConfigurationError.self) { try PostgresAuditConfiguration(url: url) }
            do {
                _ = try PostgresAuditConfiguration(url: url)
            } catch {
                #expect(!error.description.contains("pw@"), "\(error)")
            }
        }
    }
}
