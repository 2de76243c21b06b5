/// One shard of a ``DecisionCache``: dense entries, an open-addressing index and a CLOCK hand,
/// under one ``ShardLock``.
///
/// The entries sit in one array without gaps; the index is a power-of-two table of entry
/// positions (4 bytes a bucket, at most half full) probed linearly, with backward-shift deletion
/// so no tombstones build up. Against a `Dictionary<Key, Int>` beside an array of optional slots
/// this saves about 80 bytes an entry at a million entries (the dictionary stored each 32-byte
/// key a second time, at up to 75 % load) and never holds free slots.
///
/// CLOCK (second chance) approximates least-recently-used without moving anything on a hit:
/// a hit only sets the entry's `referenced` bit, so lookups stay cheap; eviction sweeps the
/// hand, clearing bits, and takes the first entry not referenced since the last sweep.
struct CacheShard<Key: Hashable & Sendable, Value: Sendable> {
    struct Slot {
        var key: Key
        var value: Value
        var expiresAt: Int64
        /// The low bits of the key's hash: where its probe starts, without hashing again.
        var hash: UInt32
        /// The cost in the low 31 bits, the CLOCK `referenced` bit on top: one word less an entry.
        var costAndReference: UInt32

        var cost: UInt32 { self.costAndReference & 0x7FFF_FFFF }

        var referenced: Bool {
            get { self.costAndReference & 0x8000_0000 != 0 }
            set { self.costAndReference = self.cost | (newValue ? 0x8000_0000 : 0) }
        }
    }

    private static var empty: Int32 { -1 }

    private var slots: [Slot] = []
    /// Positions in `slots`, or `empty`; `count` is a power of two, at least twice the entries.
    private var buckets: [Int32] = []
    private var hand = 0
    private(set) var bytes = 0
    let maximumEntries: Int
    let maximumBytes: Int

    init(maximumEntries: Int, maximumBytes: Int) {
        self.maximumEntries = min(maximumEntries, Int(Int32.max / 4))
        self.maximumBytes = maximumBytes
    }

    var count: Int { self.slots.count }

    enum Lookup {
        case hit(Value)
        case expired
        case absent
    }

    /// The value for `key` if it has not reached its deadline at `now`; an expired one is removed.
    mutating func lookup(_ key: Key, hash: Int, now: Int64) -> Lookup {
        guard let bucket = self.bucket(of: key, hash: hash) else { return .absent }
        let position = Int(self.buckets[bucket])
        guard now < self.slots[position].expiresAt else {
            self.remove(bucket: bucket)
            return .expired
        }
        if !self.slots[position].referenced { self.slots[position].referenced = true }
        return .hit(self.slots[position].value)
    }

    /// Stores `value`, evicting as needed; returns how many entries were evicted. A value whose
    /// cost alone exceeds the shard's byte budget is not stored.
    mutating func insert(_ value: Value, for key: Key, hash: Int, cost: Int, expiresAt: Int64) -> Int {
        if let bucket = self.bucket(of: key, hash: hash) { self.remove(bucket: bucket) }
        guard cost <= self.maximumBytes else { return 0 }
        let cost = UInt32(clamping: min(max(0, cost), 0x7FFF_FFFF))
        var evicted = 0
        while self.count >= self.maximumEntries || self.bytes + Int(cost) > self.maximumBytes {
            guard self.evictOne() else { break }
            evicted += 1
        }
        if self.slots.count == self.slots.capacity {
            // Grow by doubling, but never past the bound: the last doubling would otherwise keep up
            // to twice the memory the entries need.
            self.slots.reserveCapacity(min(max(16, self.slots.count * 2), self.maximumEntries))
        }
        if self.buckets.count < 2 * (self.slots.count + 1) { self.growBuckets() }
        let position = Int32(self.slots.count)
        let hash = UInt32(truncatingIfNeeded: hash)
        self.slots.append(
            Slot(key: key, value: value, expiresAt: expiresAt, hash: hash, costAndReference: cost))
        self.place(position, hash: hash)
        self.bytes += Int(cost)
        return evicted
    }

    /// Removes every entry.
    mutating func removeAll() {
        self.slots = []
        self.buckets = []
        self.hand = 0
        self.bytes = 0
    }

    // MARK: - The index

    private var mask: Int { self.buckets.count - 1 }

    /// The bucket that holds `key`, if it is stored.
    private func bucket(of key: Key, hash: Int) -> Int? {
        guard !self.buckets.isEmpty else { return nil }
        let mask = self.mask
        var bucket = Int(UInt32(truncatingIfNeeded: hash)) & mask
        while true {
            let position = self.buckets[bucket]
            if position == Self.empty { return nil }
            if self.slots[Int(position)].key == key { return bucket }
            bucket = (bucket + 1) & mask
        }
    }

    /// Puts `position` in the first free bucket of its probe sequence.
    private mutating func place(_ position: Int32, hash: UInt32) {
        let mask = self.mask
        var bucket = Int(hash) & mask
        while self.buckets[bucket] != Self.empty { bucket = (bucket + 1) & mask }
        self.buckets[bucket] = position
    }

    private mutating func growBuckets() {
        let size = max(16, self.buckets.count * 2)
        self.buckets = [Int32](repeating: Self.empty, count: size)
        for position in self.slots.indices { self.place(Int32(position), hash: self.slots[position].hash) }
    }

    /// Removes the entry in `bucket`: the last entry moves into its place in `slots`, and the
    /// buckets after it in the probe run shift back so that every lookup still finds its key.
    private mutating func remove(bucket: Int) {
        let position = Int(self.buckets[bucket])
        self.bytes -= Int(self.slots[position].cost)
        self.clear(bucket: bucket)
        let last = self.slots.count - 1
        if position != last {
            // Point the last entry's bucket at the hole it moves into.
            let mask = self.mask
            var moved = Int(self.slots[last].hash) & mask
            while self.buckets[moved] != Int32(last) { moved = (moved + 1) & mask }
            self.buckets[moved] = Int32(position)
            self.slots.swapAt(position, last)
        }
        self.slots.removeLast()
    }

    /// Backward-shift deletion for linear probing.
    private mutating func clear(bucket: Int) {
        let mask = self.mask
        var hole = bucket
        var next = (hole + 1) & mask
        while self.buckets[next] != Self.empty {
            let home = Int(self.slots[Int(self.buckets[next])].hash) & mask
            // The entry at `next` may move back into the hole unless its home lies after the hole
            // (cyclically) and at or before `next`.
            let homeInRange = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
            if !homeInRange {
                self.buckets[hole] = self.buckets[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        self.buckets[hole] = Self.empty
    }

    private mutating func evictOne() -> Bool {
        guard !self.slots.isEmpty else { return false }
        // Two sweeps at most: the first clears every referenced bit it passes.
        for _ in 0..<(2 * self.slots.count + 1) {
            if self.hand >= self.slots.count { self.hand = 0 }
            let position = self.hand
            self.hand += 1
            if self.slots[position].referenced {
                self.slots[position].referenced = false
                continue
            }
            guard let bucket = self.bucket(of: self.slots[position].key, hash: Int(self.slots[position].hash))
            else { return false }
            // The last entry, the newest, moves into `position`, behind the hand: like a new entry
            // taking a freed slot, it gets a full sweep before it can be evicted.
            self.remove(bucket: bucket)
            return true
        }
        return false
    }
}
