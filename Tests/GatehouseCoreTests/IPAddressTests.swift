import GatehouseCore
import Testing

@Suite("IP addresses")
struct IPAddressTests {
    @Test(
        "Dotted-quad IPv4 text parses to its 32-bit value",
        arguments: [
            ("10.0.0.1", UInt32(0x0A00_0001)),
            ("0.0.0.0", 0),
            ("255.255.255.255", 0xFFFF_FFFF),
            ("192.168.1.20", 0xC0A8_0114),
        ]
    )
    func parsesIPv4(text: String, value: UInt32) {
        #expect(IPAddress(text) == .v4(value))
        #expect(IPAddress(text)?.bitWidth == 32)
    }

    @Test(
        "IPv6 text parses, with '::', upper-case hex, an embedded IPv4 tail or a zone id",
        arguments: [
            ("::", UInt64(0), UInt64(0)),
            ("::1", 0, 1),
            ("1::", 0x0001_0000_0000_0000, 0),
            ("2001:db8::1", 0x2001_0DB8_0000_0000, 1),
            ("2001:DB8:0:0:0:0:0:1", 0x2001_0DB8_0000_0000, 1),
            ("0:0:0:0:0:0:0:0", 0, 0),
            ("1:2:3:4:5:6:7:8", 0x0001_0002_0003_0004, 0x0005_0006_0007_0008),
            ("1:2:3:4:5:6:7::", 0x0001_0002_0003_0004, 0x0005_0006_0007_0000),
            ("::2:3:4:5:6:7:8", 0x0000_0002_0003_0004, 0x0005_0006_0007_0008),
            ("64:ff9b::192.0.2.33", 0x0064_FF9B_0000_0000, 0xC000_0221),
            ("::10.0.0.1", 0, 0x0A00_0001),
            ("fe80::1%eth0", 0xFE80_0000_0000_0000, 1),
            ("fe80::a:b%25en0", 0xFE80_0000_0000_0000, 0x000A_000B),
        ]
    )
    func parsesIPv6(text: String, high: UInt64, low: UInt64) {
        #expect(IPAddress(text) == .v6(high: high, low: low))
        #expect(IPAddress(text)?.bitWidth == 128)
    }

    @Test(
        "An IPv4-mapped IPv6 address is stored as the IPv4 address",
        arguments: [
            ("::ffff:10.0.0.1", UInt32(0x0A00_0001)),
            ("::FFFF:192.168.1.1", 0xC0A8_0101),
            ("0:0:0:0:0:ffff:a00:1", 0x0A00_0001),
            ("::ffff:0:0", 0),
        ]
    )
    func mapsIPv4InIPv6(text: String, value: UInt32) {
        #expect(IPAddress(text) == .v4(value))
    }

    @Test(
        "Malformed or ambiguous text is refused",
        arguments: [
            "", " ", "localhost", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.", ".1.2.3", "a.b.c.d",
            "1.2.3.256", "300.1.1.1", "1.2.3.-1", "1.2.3.+4", " 1.2.3.4", "1.2.3.4 ",
            "010.0.0.1", "10.0.0.01", "00.0.0.0", "0x0A.0.0.1", "1234.1.1.1",
            "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7",
            "1::2::3", "::1::", ":::", "1:::2", "12345::", "g::", "::fffff",
            "::1.2.3", "::1.2.3.256", "1.2.3.4::", "::1.2.3.4:5", "::010.0.0.1",
            ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", ":", "::+1", "+1::", "::-0",
        ]
    )
    func refusesMalformed(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(
        "IPv6 text is written in RFC 5952 form",
        arguments: [
            ("0:0:0:0:0:0:0:0", "::"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
            ("1:0:0:0:0:0:0:0", "1::"),
            ("fe80::0:0:1%eth0", "fe80::1"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
            ("::ffff:10.0.0.1", "10.0.0.1"),
        ]
    )
    func formatsRFC5952(text: String, expected: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == expected)
    }

    @Test(
        "Writing an address and parsing the text gives the same address",
        arguments: [
            "10.0.0.1", "0.0.0.0", "255.255.255.255", "1.23.100.9", "192.168.10.254", "100.99.10.0", "9.90.199.200",
            "::", "::1", "1::", "2001:db8::1:0:0:1",
            "2001:0:0:1::1", "fd00:1:2:3:4:5:6:7", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::a00:1",
            "64:ff9b::c000:221",
        ]
    )
    func roundTrips(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == text)
        #expect(IPAddress(address.description) == address)
    }
}
