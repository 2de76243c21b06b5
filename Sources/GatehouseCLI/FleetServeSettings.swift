package import GatehouseFleet

/// The `fleet.*` settings of `gatehouse serve`: the PostgreSQL the replicas of one fleet share,
/// this replica's name in it, and how often it reconciles without a notification.
///
/// Kept apart from `audit.store` (a decision store may live in another database); both take the
/// same `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslmode=disable|prefer|require` URLs.
package struct FleetServeSettings: Sendable, Hashable {
    /// The fleet's PostgreSQL URL; `nil`: this server is not part of a fleet.
    package var postgres: String?
    /// This replica's name in the fleet; `nil`: the decision log's instance id (`audit.instance`,
    /// or the generated one kept beside the key).
    package var replica: String?
    /// How often the desired revision is read even without a notification.
    package var reconcileInterval: Duration = .seconds(30)

    package init() {}

    /// The coordinator's configuration for `replica` (the name this replica reports under).
    ///
    /// - Returns: `nil` when `fleet.postgres` is not set.
    /// - Throws: ``FleetError`` when the URL cannot be used (already checked when the settings loaded).
    package func configuration(replica: String) throws -> PostgresFleetConfiguration? {
        guard let postgres = self.postgres else { return nil }
        var configuration = try PostgresFleetConfiguration(url: postgres, replica: replica)
        configuration.reconcileInterval = self.reconcileInterval
        return configuration
    }
}

extension SettingParser where Value == String? {
    /// A `postgres://` URL the fleet coordinator accepts, or `none`; problems never quote its password.
    static let fleetPostgres = SettingParser(
        type: "postgres:// URL",
        expected:
            "a postgres:// URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, sslmode=disable, prefer or require), or none",
        parse: { text, _ in
            if text.lowercased() == "none" { return .some(nil) }
            guard (try? PostgresFleetConfiguration(url: text, replica: "check")) != nil else { return nil }
            return .some(text)
        },
        format: { $0.map(PostgresFleetConfiguration.redacted) ?? "none" },
        redact: PostgresFleetConfiguration.redacted)
}
