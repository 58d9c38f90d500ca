#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed-size, 64-byte aligned array of Float (``LargeMemory``: huge pages when large) that is never copied behind your back.
///
/// Parameters, gradients, optimizer moments and activations live in these. It is a class, so passing one
/// around shares it (no copy-on-write in hot loops); the memory is freed when the last reference goes.
public final class FloatBuffer: @unchecked Sendable {
    /// Number of floats.
    public let count: Int
    /// The first float; valid for `count` elements while the buffer lives.
    public let pointer: UnsafeMutablePointer<Float>

    /// Allocates `count` floats set to zero. O(count).
    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must not be negative")
        self.count = count
        let bytes = max(64, (count * MemoryLayout<Float>.stride + 63) & ~63)
        let raw = LargeMemory.allocate(bytes: bytes)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// A buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { LargeMemory.deallocate(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// Sets every element to zero.
    public func zero() { memset(pointer, 0, count * MemoryLayout<Float>.stride) }

    /// The contents as an array (allocates; not for hot loops).
    public var array: [Float] { Array(buffer) }
}
