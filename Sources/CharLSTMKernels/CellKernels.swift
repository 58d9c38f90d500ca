// Fused pointwise kernels of the three recurrent cells, one time step for a batch of B rows, and of the
// inverted dropout between layers. The matrix products (x·W_ihᵀ, h·W_hhᵀ) are done by `sgemm` before
// these run; these do everything else. Every row is independent; H is the hidden size; rows are contiguous
// ([B, H] or [B, G·H] with G the cell's gate count). The gate buffer is used in place: the forward turns
// pre-activations into activations, the backward turns activations into pre-activation gradients, so a
// training pass stores each layer's gates once. A layer's h is a function of what a training pass keeps
// (its gates, and c or h_{t−1}), so it need not be kept for every layer: the LSTM and RNN backward steps
// rebuild h_t before the gates become gradients, GRU's is rebuilt forward in time (`gruCellHidden`), each
// bit for bit with the forward's own expression. The test oracle for the cells is the double-precision
// reference model in the tests (values, and gradients through finite differences).

// MARK: LSTM (PyTorch gate order i, f, g, o)
//
//   forward   a = gates[b, 0..<4H] = x·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh      [B, 4H]
//             i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)                 (written back into gates)
//             c_t = f ⊙ c_{t−1} + i ⊙ g        h_t = o ⊙ tanh(c_t)                  [B, H]
//   backward  given dh = ∂L/∂h_t (everything that reaches h_t) and dc = ∂L/∂c_t from step t+1,
//             with tanh(c_t) recomputed from c_t:
//             dc  += dh ⊙ o ⊙ (1 − tanh²c_t)
//             da_i = dc ⊙ g ⊙ i(1−i)     da_f = dc ⊙ c_{t−1} ⊙ f(1−f)
//             da_g = dc ⊙ i ⊙ (1−g²)     da_o = dh ⊙ tanh(c_t) ⊙ o(1−o)             (written over the gates)
//             dc_{t−1} = dc ⊙ f                                                    (written back into dc)
//             and, when asked, h_t = o ⊙ tanh(c_t) again (rebuilt for a layer whose h was not kept)

/// LSTM step forward. `gates` [B, 4H] in: pre-activations, out: activations i, f, g, o.
/// `cPrev`, `c`, `h`: [B, H]. `c` may be `cPrev` (the cell state updated in place, when it is not kept).
/// `units`, when given, limits the step to those hidden units of every row (the rest is not touched); each
/// unit's result is the same bit for bit whatever the range.
public func lstmCellForward(
    gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, batch: Int, hidden: Int, units: Range<Int>? = nil
) {
    let H = hidden, units = units ?? 0..<H
    for b in 0..<batch {
        let a = gates + b * 4 * H + units.lowerBound, cp = cPrev + b * H + units.lowerBound
        let cr = c + b * H + units.lowerBound, hr = h + b * H + units.lowerBound
        forEachChunk16(units.count) { j, w in
            let i = VectorMath.sigmoid(load16(a + j, width: w))
            let f = VectorMath.sigmoid(load16(a + H + j, width: w))
            let g = VectorMath.tanh(load16(a + 2 * H + j, width: w))
            let o = VectorMath.sigmoid(load16(a + 3 * H + j, width: w))
            let cNew = f * load16(cp + j, width: w) + i * g
            store16(i, a + j, width: w)
            store16(f, a + H + j, width: w)
            store16(g, a + 2 * H + j, width: w)
            store16(o, a + 3 * H + j, width: w)
            store16(cNew, cr + j, width: w)
            store16(lstmOutput(o, tanhC: VectorMath.tanh(cNew)), hr + j, width: w)
        }
    }
}

/// h_t = o ⊙ tanh(c_t): one expression for the forward and the rebuild, so both give the same bits.
@inline(__always)
func lstmOutput(_ o: SIMD16<Float>, tanhC: SIMD16<Float>) -> SIMD16<Float> { o * tanhC }

/// LSTM step backward. `dh` [B, H] read; `dc` [B, H] in: ∂L/∂c_t from later steps, out: ∂L/∂c_{t−1}.
/// `gates` [B, 4H] in: the activations of the forward, out: ∂L/∂(pre-activations). `cPrev`, `c`: c_{t−1}
/// and c_t [B, H]. `h` [B, H], when given, receives h_t (the forward's, bit for bit).
public func lstmCellBackward(
    dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>,
    cPrev: UnsafePointer<Float>, c: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>?, batch: Int, hidden: Int
) {
    let H = hidden
    for b in 0..<batch {
        let a = gates + b * 4 * H, dhr = dh + b * H, dcr = dc + b * H, cp = cPrev + b * H, cr = c + b * H
        let hr = h.map { $0 + b * H }
        forEachChunk16(H) { j, w in
            let i = load16(a + j, width: w), f = load16(a + H + j, width: w)
            let g = load16(a + 2 * H + j, width: w), o = load16(a + 3 * H + j, width: w)
            let t = VectorMath.tanh(load16(cr + j, width: w)), gradH = load16(dhr + j, width: w)
            if let hr { store16(lstmOutput(o, tanhC: t), hr + j, width: w) }
            let gradC = load16(dcr + j, width: w) + gradH * o * (1 - t * t)
            store16(gradC * g * i * (1 - i), a + j, width: w)
            store16(gradC * load16(cp + j, width: w) * f * (1 - f), a + H + j, width: w)
            store16(gradC * i * (1 - g * g), a + 2 * H + j, width: w)
            store16(gradH * t * o * (1 - o), a + 3 * H + j, width: w)
            store16(gradC * f, dcr + j, width: w)
        }
    }
}

/// LSTM h_t = o ⊙ tanh(c_t) for `batch` rows, rebuilt from the activations `gates` [B, 4H] (o read) and c_t [B, H]
/// into `h` [B, H]: the forward's h bit for bit (a layer's output for the layer above's weight gradient).
public func lstmCellHidden(gates: UnsafePointer<Float>, c: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>,
                           batch: Int, hidden: Int) {
    let H = hidden
    for b in 0..<batch {
        let o = gates + b * 4 * H + 3 * H, cr = c + b * H, hr = h + b * H
        forEachChunk16(H) { j, w in
            store16(lstmOutput(load16(o + j, width: w), tanhC: VectorMath.tanh(load16(cr + j, width: w))), hr + j, width: w)
        }
    }
}

// MARK: GRU (PyTorch gate order r, z, n)
//
//   forward   x-part  ax = x·W_ihᵀ + b_ih   [B, 3H]      h-part  ah = h_{t−1}·W_hhᵀ + b_hh   [B, 3H]
//             r = σ(ax_r + ah_r)   z = σ(ax_z + ah_z)   n = tanh(ax_n + r ⊙ ah_n)
//             h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
//   backward  dn = dh ⊙ (1−z)   dz = dh ⊙ (h_{t−1} − n)   dh_{t−1} += dh ⊙ z
//             da_n = dn ⊙ (1−n²)   da_r = da_n ⊙ ah_n ⊙ r(1−r)   da_z = dz ⊙ z(1−z)
//             ∂ax = (da_r, da_z, da_n)      ∂ah = (da_r, da_z, da_n ⊙ r)
//   The h-part of n, ah_n, is the one value the backward needs that the gates do not hold: the forward
//   writes it to `nPart`, the backward overwrites it with ∂ah_n = da_n ⊙ r.

/// GRU step forward. `gates` [B, 3H] in: x-part, out: activations r, z, n. `recurrentPart` [B, 3H]: the
/// h-part (read). `nPart` [B, H] out: the h-part of the n gate; `hPrev`, `h` [B, H]. `units`, when given,
/// limits the step to those hidden units of every row, each unit's result the same bit for bit.
public func gruCellForward(
    gates: UnsafeMutablePointer<Float>, recurrentPart: UnsafePointer<Float>, nPart: UnsafeMutablePointer<Float>,
    hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, batch: Int, hidden: Int, units: Range<Int>? = nil
) {
    let H = hidden, units = units ?? 0..<H, u = units.lowerBound
    for b in 0..<batch {
        let x = gates + b * 3 * H + u, hh = recurrentPart + b * 3 * H + u, sn = nPart + b * H + u
        let hp = hPrev + b * H + u, hr = h + b * H + u
        forEachChunk16(units.count) { j, w in
            let r = VectorMath.sigmoid(load16(x + j, width: w) + load16(hh + j, width: w))
            let z = VectorMath.sigmoid(load16(x + H + j, width: w) + load16(hh + H + j, width: w))
            let hn = load16(hh + 2 * H + j, width: w)
            let n = VectorMath.tanh(load16(x + 2 * H + j, width: w) + r * hn)
            store16(r, x + j, width: w)
            store16(z, x + H + j, width: w)
            store16(n, x + 2 * H + j, width: w)
            store16(hn, sn + j, width: w)
            store16(gruOutput(z, n, load16(hp + j, width: w)), hr + j, width: w)
        }
    }
}

/// h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}: one expression for the forward and the rebuild.
@inline(__always)
func gruOutput(_ z: SIMD16<Float>, _ n: SIMD16<Float>, _ hPrev: SIMD16<Float>) -> SIMD16<Float> { (1 - z) * n + z * hPrev }

/// GRU h rebuilt from what a training pass keeps, one step forward in time: `h` = (1 − z) ⊙ n + z ⊙ `hPrev`
/// for B rows, with `gates` [B, 3H] the activations r, z, n of the step. The forward's h, bit for bit.
public func gruCellHidden(gates: UnsafePointer<Float>, hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>,
                          batch: Int, hidden: Int) {
    let H = hidden
    for b in 0..<batch {
        let a = gates + b * 3 * H, hp = hPrev + b * H, hr = h + b * H
        forEachChunk16(H) { j, w in
            store16(gruOutput(load16(a + H + j, width: w), load16(a + 2 * H + j, width: w), load16(hp + j, width: w)), hr + j, width: w)
        }
    }
}

/// GRU step backward. `dh` [B, H] read. `gates` [B, 3H] in: activations r, z, n, out: ∂ax. `nPart` [B, H]
/// in: ah_n, out: ∂ah_n. `hPrev` [B, H] read. `recurrentGradient` [B, 3H] out: the whole ∂ah, for the
/// step's product with W_hh. `dhPrev` [B, H] accumulates dh ⊙ z (nil at the truncation boundary).
public func gruCellBackward(
    dh: UnsafePointer<Float>, gates: UnsafeMutablePointer<Float>, nPart: UnsafeMutablePointer<Float>,
    hPrev: UnsafePointer<Float>, recurrentGradient: UnsafeMutablePointer<Float>,
    dhPrev: UnsafeMutablePointer<Float>?, batch: Int, hidden: Int
) {
    let H = hidden
    for b in 0..<batch {
        let a = gates + b * 3 * H, dhh = recurrentGradient + b * 3 * H
        let dhr = dh + b * H, sn = nPart + b * H, hp = hPrev + b * H
        forEachChunk16(H) { j, w in
            let r = load16(a + j, width: w), z = load16(a + H + j, width: w), n = load16(a + 2 * H + j, width: w)
            let g = load16(dhr + j, width: w)
            let daN = g * (1 - z) * (1 - n * n)
            let daZ = g * (load16(hp + j, width: w) - n) * z * (1 - z)
            let daR = daN * load16(sn + j, width: w) * r * (1 - r)
            store16(daR, a + j, width: w); store16(daR, dhh + j, width: w)
            store16(daZ, a + H + j, width: w); store16(daZ, dhh + H + j, width: w)
            store16(daN, a + 2 * H + j, width: w); store16(daN * r, dhh + 2 * H + j, width: w)
            store16(daN * r, sn + j, width: w)
            if let dp = dhPrev {
                let row = dp + b * H
                store16(load16(row + j, width: w) + g * z, row + j, width: w)
            }
        }
    }
}

// MARK: Plain tanh RNN
//
//   forward   h_t = tanh(a),  a = x·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh         [B, H]
//   backward  da = dh ⊙ (1 − h_t²)         (and, when asked, h_t copied out before it becomes da)

/// RNN step forward: `gates` [B, H] in: pre-activations, out: h_t; also copied to `h`. `units`, when given
/// (batch 1 only), limits the step to those hidden units, each unit's result the same bit for bit.
public func rnnCellForward(gates: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, batch: Int, hidden: Int,
                           units: Range<Int>? = nil) {
    precondition(units == nil || batch == 1, "a unit range is for one row")
    let units = units ?? 0..<(batch * hidden), g = gates + units.lowerBound, hr = h + units.lowerBound
    forEachChunk16(units.count) { j, w in
        let v = VectorMath.tanh(load16(g + j, width: w))
        store16(v, g + j, width: w)
        store16(v, hr + j, width: w)
    }
}

/// RNN step backward: `gates` [B, H] in: h_t, out: `dh` ⊙ (1 − h_t²). `h` [B, H], when given, receives h_t.
public func rnnCellBackward(dh: UnsafePointer<Float>, gates: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>?,
                            batch: Int, hidden: Int) {
    let n = batch * hidden
    h?.update(from: gates, count: n)
    forEachChunk16(n) { j, w in
        let h = load16(gates + j, width: w)
        store16(load16(dh + j, width: w) * (1 - h * h), gates + j, width: w)
    }
}

// MARK: Inverted dropout with a bit mask
//
//   mask m_i ∈ {0, 1} per element, 16 to a UInt16 word: element i is bit i mod 16 of word ⌊i / 16⌋
//   y_i = x_i · (m_i ? 1/(1−p) : 0)          (the forward on a layer's output, and the backward on its
//                                             gradient: the same product)
//   Bit for bit the product with a Float mask holding 1/(1−p) or 0, at 1/32 of its memory.

/// y = x ⊙ mask · `scale` over `count` elements (see above), on up to `threads` threads (each element alone,
/// so the same bits on any number). `y` may be `x`. O(count).
public func applyDropoutMask(_ x: UnsafePointer<Float>, mask: UnsafePointer<UInt16>, scale: Float,
                             into y: UnsafeMutablePointer<Float>, count: Int, threads: Int = 1) {
    forEachElementRange(count, threads: threads) { range in
        let start = range.lowerBound  // a multiple of 16: a word's first element
        applyDropoutMaskSerially(x + start, mask: mask + start / 16, scale: scale, into: y + start, count: range.count)
    }
}

/// ``applyDropoutMask(_:mask:scale:into:count:threads:)`` on the calling thread.
private func applyDropoutMaskSerially(_ x: UnsafePointer<Float>, mask: UnsafePointer<UInt16>, scale: Float,
                              into y: UnsafeMutablePointer<Float>, count: Int) {
    // Lane j's factor from bit j of the word with integer lane operations only (SIMD masks compile to
    // scalar code here): all ones where the bit is set, so the factor's bit pattern is scale's, else +0.
    let shifts = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    let scaleBits = SIMD16<UInt32>(repeating: scale.bitPattern)
    forEachChunk16(count) { j, w in
        let bit = (SIMD16<UInt32>(repeating: UInt32(mask[j / 16])) &>> shifts) & 1
        let factor = unsafeBitCast((0 &- bit) & scaleBits, to: SIMD16<Float>.self)
        store16(load16(x + j, width: w) * factor, y + j, width: w)
    }
}
