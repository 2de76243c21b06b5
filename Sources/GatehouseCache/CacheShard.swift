/// One shard of a ``DecisionCache``: a map plus a CLOCK ring for eviction, under one ``ShardLock``.
///
/// CLOCK (second chance) approximates least-recently-used without moving anything on a hit:
/// a hit only sets the slot's `referenced` bit, so lookups stay cheap; eviction sweeps the
/// hand, clearing bits, and takes the first slot not referenced since the last sweep.
struct CacheShard<Key: Hashable & Sendable, Value: Sendable> {
    struct Slot {
        var key: Key
        var value: Value
        var cost: Int
        var expiresAt: Int64
        var referenced: Bool
    }

    private var slots: [Slot?] = []
    private var index: [Key: Int] = [:]
    private var free: [Int] = []
    private var hand = 0
    private(set) var bytes = 0
    let maximumEntries: Int
    let maximumBytes: Int

    init(maximumEntries: Int, maximumBytes: Int) {
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
    }

    var count: Int { self.index.count }

    enum Lookup {
        case hit(Value)
        case expired
        case absent
    }

    /// The value for `key` if it has not reached its deadline at `now`; an expired one is removed.
    mutating func lookup(_ key: Key, now: Int64) -> Lookup {
        guard let position = self.index[key], let slot = self.slots[position] else { return .absent }
        guard now < slot.expiresAt else {
            self.remove(at: position)
            return .expired
        }
        if !slot.referenced { self.slots[position]!.referenced = true }
        return .hit(slot.value)
    }

    /// Stores `value`, evicting as needed; returns how many entries were evicted. A value whose
    /// cost alone exceeds the shard's byte budget is not stored.
    mutating func insert(_ value: Value, for key: Key, cost: Int, expiresAt: Int64) -> Int {
        if let position = self.index[key] { self.remove(at: position) }
        guard cost <= self.maximumBytes else { return 0 }
        var evicted = 0
        while self.count >= self.maximumEntries || self.bytes + cost > self.maximumBytes {
            guard self.evictOne() else { break }
            evicted += 1
        }
        let slot = Slot(key: key, value: value, cost: cost, expiresAt: expiresAt, referenced: false)
        let position: Int
        if let reused = self.free.popLast() {
            position = reused
            self.slots[position] = slot
        } else {
            position = self.slots.count
            self.slots.append(slot)
        }
        self.index[key] = position
        self.bytes += cost
        return evicted
    }

    /// Removes every entry.
    mutating func removeAll() {
        self.slots.removeAll(keepingCapacity: false)
        self.index.removeAll(keepingCapacity: false)
        self.free.removeAll()
        self.hand = 0
        self.bytes = 0
    }

    private mutating func evictOne() -> Bool {
        guard !self.index.isEmpty else { return false }
        // Two sweeps at most: the first clears every referenced bit it passes.
        for _ in 0..<(2 * self.slots.count) {
            if self.hand >= self.slots.count { self.hand = 0 }
            let position = self.hand
            self.hand += 1
            guard let slot = self.slots[position] else { continue }
            if slot.referenced {
                self.slots[position]!.referenced = false
                continue
            }
            self.remove(at: position)
            return true
        }
        return false
    }

    private mutating func remove(at position: Int) {
        guard let slot = self.slots[position] else { return }
        self.index[slot.key] = nil
        self.slots[position] = nil
        self.free.append(position)
        self.bytes -= slot.cost
    }
}
