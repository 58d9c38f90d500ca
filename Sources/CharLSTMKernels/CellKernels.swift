// Fused pointwise kernels of the three recurrent cells, one time step for a batch of B rows.
// The matrix products (x·W_ihᵀ, h·W_hhᵀ) are done by `sgemm` before these run; these do everything else.
// Every row is independent; H is the hidden size, rows are contiguous with the strides given below.
// The test oracle for all of them is the double-precision reference model in the tests.

// MARK: LSTM (PyTorch gate order i, f, g, o)
//
//   forward   a = pre[b, 0..<4H] = x·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh        [B, 4H]
//             i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)                 (written back into pre)
//             c_t = f ⊙ c_{t−1} + i ⊙ g        h_t = o ⊙ tanh(c_t)                  [B, H]
//   backward  given dh = ∂L/∂h_t (everything that reaches h_t) and dc = ∂L/∂c_t from step t+1:
//             dc  += dh ⊙ o ⊙ (1 − tanh²c_t)
//             da_i = dc ⊙ g ⊙ i(1−i)     da_f = dc ⊙ c_{t−1} ⊙ f(1−f)
//             da_g = dc ⊙ i ⊙ (1−g²)     da_o = dh ⊙ tanh(c_t) ⊙ o(1−o)
//             dc_{t−1} = dc ⊙ f                                                    (written back into dc)

/// LSTM step forward. `pre` [B, 4H] in: pre-activations, out: activations i, f, g, o.
/// `cPrev`, `c`, `tanhC`, `h`: [B, H]; `h` has row stride `hStride` (it may live inside a wider buffer).
public func lstmCellForward(
    pre: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
    batch: Int, hidden: Int
) {
    let H = hidden
    for b in 0..<batch {
        let a = pre + b * 4 * H, cp = cPrev + b * H, cr = c + b * H, tr = tanhC + b * H, hr = h + b * H
        forEachChunk16(H) { j, w in
            let i = VectorMath.sigmoid(load16(a + j, width: w))
            let f = VectorMath.sigmoid(load16(a + H + j, width: w))
            let g = VectorMath.tanh(load16(a + 2 * H + j, width: w))
            let o = VectorMath.sigmoid(load16(a + 3 * H + j, width: w))
            let cNew = f * load16(cp + j, width: w) + i * g
            let t = VectorMath.tanh(cNew)
            store16(i, a + j, width: w)
            store16(f, a + H + j, width: w)
            store16(g, a + 2 * H + j, width: w)
            store16(o, a + 3 * H + j, width: w)
            store16(cNew, cr + j, width: w)
            store16(t, tr + j, width: w)
            store16(o * t, hr + j, width: w)
        }
    }
}

/// LSTM step backward. `dh` [B, H] read; `dc` [B, H] in: ∂L/∂c_t from later steps, out: ∂L/∂c_{t−1}.
/// `acts` [B, 4H] from the forward; `dPre` [B, 4H] out.
public func lstmCellBackward(
    dh: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>,
    acts: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, tanhC: UnsafePointer<Float>,
    dPre: UnsafeMutablePointer<Float>, batch: Int, hidden: Int
) {
    let H = hidden
    for b in 0..<batch {
        let a = acts + b * 4 * H, d = dPre + b * 4 * H
        let dhr = dh + b * H, dcr = dc + b * H, cp = cPrev + b * H, tr = tanhC + b * H
        forEachChunk16(H) { j, w in
            let i = load16(a + j, width: w), f = load16(a + H + j, width: w)
            let g = load16(a + 2 * H + j, width: w), o = load16(a + 3 * H + j, width: w)
            let t = load16(tr + j, width: w), gradH = load16(dhr + j, width: w)
            let gradC = load16(dcr + j, width: w) + gradH * o * (1 - t * t)
            store16(gradC * g * i * (1 - i), d + j, width: w)
            store16(gradC * load16(cp + j, width: w) * f * (1 - f), d + H + j, width: w)
            store16(gradC * i * (1 - g * g), d + 2 * H + j, width: w)
            store16(gradH * t * o * (1 - o), d + 3 * H + j, width: w)
            store16(gradC * f, dcr + j, width: w)
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

/// GRU step forward. `ax` [B, 3H] in: x-part, out: activations r, z, n. `ah` [B, 3H] h-part (read);
/// `ahN` [B, H] out: the saved h-part of the n gate; `hPrev`, `h` [B, H].
public func gruCellForward(
    ax: UnsafeMutablePointer<Float>, ah: UnsafePointer<Float>, ahN: UnsafeMutablePointer<Float>,
    hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, batch: Int, hidden: Int
) {
    let H = hidden
    for b in 0..<batch {
        let x = ax + b * 3 * H, hh = ah + b * 3 * H, sn = ahN + b * H, hp = hPrev + b * H, hr = h + b * H
        forEachChunk16(H) { j, w in
            let r = VectorMath.sigmoid(load16(x + j, width: w) + load16(hh + j, width: w))
            let z = VectorMath.sigmoid(load16(x + H + j, width: w) + load16(hh + H + j, width: w))
            let hn = load16(hh + 2 * H + j, width: w)
            let n = VectorMath.tanh(load16(x + 2 * H + j, width: w) + r * hn)
            store16(r, x + j, width: w)
            store16(z, x + H + j, width: w)
            store16(n, x + 2 * H + j, width: w)
            store16(hn, sn + j, width: w)
            store16((1 - z) * n + z * load16(hp + j, width: w), hr + j, width: w)
        }
    }
}

/// GRU step backward. `dh` [B, H] read; `acts` [B, 3H], `ahN` [B, H], `hPrev` [B, H] from the forward;
/// `dAx`, `dAh` [B, 3H] out; `dhPrev` [B, H] accumulates dh ⊙ z (nil at the truncation boundary).
public func gruCellBackward(
    dh: UnsafePointer<Float>, acts: UnsafePointer<Float>, ahN: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
    dAx: UnsafeMutablePointer<Float>, dAh: UnsafeMutablePointer<Float>, dhPrev: UnsafeMutablePointer<Float>?,
    batch: Int, hidden: Int
) {
    let H = hidden
    for b in 0..<batch {
        let a = acts + b * 3 * H, dx = dAx + b * 3 * H, dhh = dAh + b * 3 * H
        let dhr = dh + b * H, sn = ahN + b * H, hp = hPrev + b * H
        forEachChunk16(H) { j, w in
            let r = load16(a + j, width: w), z = load16(a + H + j, width: w), n = load16(a + 2 * H + j, width: w)
            let g = load16(dhr + j, width: w)
            let daN = g * (1 - z) * (1 - n * n)
            let daZ = g * (load16(hp + j, width: w) - n) * z * (1 - z)
            let daR = daN * load16(sn + j, width: w) * r * (1 - r)
            store16(daR, dx + j, width: w); store16(daR, dhh + j, width: w)
            store16(daZ, dx + H + j, width: w); store16(daZ, dhh + H + j, width: w)
            store16(daN, dx + 2 * H + j, width: w); store16(daN * r, dhh + 2 * H + j, width: w)
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
//   backward  da = dh ⊙ (1 − h_t²)

/// RNN step forward: `pre` [B, H] in: pre-activations, out: h_t; also copied to `h`.
public func rnnCellForward(pre: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, batch: Int, hidden: Int) {
    let n = batch * hidden
    forEachChunk16(n) { j, w in
        let v = VectorMath.tanh(load16(pre + j, width: w))
        store16(v, pre + j, width: w)
        store16(v, h + j, width: w)
    }
}

/// RNN step backward: `dPre` = `dh` ⊙ (1 − h²), with `acts` = h_t [B, H].
public func rnnCellBackward(dh: UnsafePointer<Float>, acts: UnsafePointer<Float>, dPre: UnsafeMutablePointer<Float>,
                            batch: Int, hidden: Int) {
    let n = batch * hidden
    forEachChunk16(n) { j, w in
        let h = load16(acts + j, width: w)
        store16(load16(dh + j, width: w) * (1 - h * h), dPre + j, width: w)
    }
}
