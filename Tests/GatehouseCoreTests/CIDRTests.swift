import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("CIDR blocks")
struct CIDRTests {
    @Test(
        "A block parses to its network and prefix length and writes back the same",
        arguments: [
            ("10.0.0.0/8", "10.0.0.0/8", 8),
            ("192.168.1.0/24", "192.168.1.0/24", 24),
            ("0.0.0.0/0", "0.0.0.0/0", 0),
            ("10.1.2.3/32", "10.1.2.3/32", 32),
            ("fd00::/8", "fd00::/8", 8),
            ("2001:db8::/32", "2001:db8::/32", 32),
            ("2001:db8:0:0:8000::/65", "2001:db8:0:0:8000::/65", 65),
            ("::/0", "::/0", 0),
            ("::1/128", "::1/128", 128),
            ("FD00:0::/16", "fd00::/16", 16),
        ]
    )
    func parses(text: String, description: String, length: Int) throws {
        let block = try #require(try? CIDR.parse(text).get())
        #expect(block.description == description)
        #expect(block.prefixLength == length)
    }

    @Test(
        "A bare address means a single host",
        arguments: [("10.0.0.1", "10.0.0.1/32"), ("::1", "::1/128"), ("fe80::1%eth0", "fe80::1/128")]
    )
    func bareAddress(text: String, description: String) throws {
        let block = try #require(try? CIDR.parse(text).get())
        #expect(block.description == description)
        #expect(block.contains(block.network))
    }

    @Test(
        "Host bits beyond the prefix are refused with the block that was probably meant",
        arguments: [
            ("10.0.0.1/8", "10.0.0.0/8"),
            ("192.168.1.77/24", "192.168.1.0/24"),
            ("1.2.3.4/0", "0.0.0.0/0"),
            ("fd00::1/8", "fd00::/8"),
            ("2001:db8::1/64", "2001:db8::/64"),
            ("2001:db8:0:0:ffff::/65", "2001:db8:0:0:8000::/65"),
            ("::1/127", "::/127"),
        ]
    )
    func hostBitsSet(text: String, suggestion: String) {
        #expect(CIDR.parse(text) == .failure(.hostBitsSet(suggestion: suggestion)))
    }

    @Test(
        "A prefix length that is not a number within the family's width is refused",
        arguments: ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/", "10.0.0.0/a", "10.0.0.0/8/8", "::/129"]
    )
    func badPrefix(text: String) {
        #expect(CIDR.parse(text) == .failure(.invalidPrefixLength))
    }

    @Test(
        "A text whose address part is not an address is refused",
        arguments: ["", "/8", "10.0.0/8", "x/8", "010.0.0.0/8"])
    func badAddress(text: String) {
        #expect(CIDR.parse(text) == .failure(.invalidAddress))
    }

    @Test(
        "Membership is decided by the prefix bits, and never across address families",
        arguments: [
            ("10.0.0.0/8", "10.255.255.255", true),
            ("10.0.0.0/8", "11.0.0.0", false),
            ("10.0.0.0/8", "::ffff:10.1.2.3", true),
            ("10.0.0.0/8", "::a01:203", false),
            ("10.0.0.0/8", "fd00::1", false),
            ("192.168.1.0/24", "192.168.1.255", true),
            ("192.168.1.0/24", "192.168.2.0", false),
            ("10.1.2.3/32", "10.1.2.3", true),
            ("10.1.2.3/32", "10.1.2.4", false),
            ("0.0.0.0/0", "255.255.255.255", true),
            ("0.0.0.0/0", "::", false),
            ("::/0", "ffff::1", true),
            ("::/0", "10.0.0.1", false),
            ("fd00::/8", "fdff:ffff::1", true),
            ("fd00::/8", "fe00::", false),
            ("fd00::/8", "10.0.0.1", false),
            ("2001:db8::/64", "2001:db8::ffff:1", true),
            ("2001:db8::/64", "2001:db8:0:1::", false),
            ("2001:db8::/65", "2001:db8::7fff:ffff:ffff:ffff", true),
            ("2001:db8::/65", "2001:db8::8000:0:0:0", false),
            ("::1/128", "::1", true),
            ("::1/128", "::2", false),
        ]
    )
    func contains(block: String, address: String, expected: Bool) throws {
        let cidr = try Fixture.cidr(block)
        let ip = try Fixture.address(address)
        #expect(cidr.contains(ip) == expected)
    }
}
