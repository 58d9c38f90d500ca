import Foundation
@testable import CharLSTM
@testable import CharLSTMTestSupport

/// The obviously-correct double-precision twin of `RecurrentNetwork.forward`: nested loops straight from the
/// equations of `torch.nn.LSTM` / `GRU` / `RNN`, no dropout. The oracle for the fast model and, through
/// finite differences, for its backward pass.
struct ReferenceModel {
    let config: ModelConfig
    /// Parameters by PyTorch state-dict name, row-major.
    var params: [String: [Double]]

    init(config: ModelConfig, params: [String: [Double]]) {
        self.config = config
        self.params = params
    }

    /// Copies the parameters out of a fast model.
    init(_ model: RecurrentNetwork) {
        config = model.config
        var p: [String: [Double]] = [:]
        for e in model.layout.entries { p[e.name] = model.parameter(e.name)!.map(Double.init) }
        params = p
    }

    struct Output {
        var meanNats: Double
        var h: [[[Double]]]  // [layer][batch][hidden]
        var c: [[[Double]]]
        var logits: [[Double]]  // [t*B+b][V]
    }

    private static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// inputs/targets time-major [T*B]; h0/c0 [layer][batch][hidden]. `dropout`, when given: per layer the
    /// factor [(t·B + b)·H + j] (0 or 1/(1−p)) each output of the layer is multiplied by before the layer
    /// above and the decoder read it.
    func forward(inputs: [Int32], targets: [Int32], T: Int, B: Int, h0: [[[Double]]], c0: [[[Double]]],
                 dropout: [[Double]]? = nil) -> Output {
        let H = config.hidden, V = config.vocabularySize
        let oneHot: [[[Double]]] = (0..<T).map { t in
            (0..<B).map { b in
                var v = [Double](repeating: 0, count: V)
                v[Int(inputs[t * B + b])] = 1
                return v
            }
        }
        let (layerInput, h, c) = runLayers(oneHot, T: T, B: B, h0: h0, c0: c0, dropout: dropout)
        let w = params["decoder.weight"]!, bias = params["decoder.bias"]!
        var total = 0.0
        var logits: [[Double]] = []
        for t in 0..<T {
            for b in 0..<B {
                let y = layerInput[t][b]
                var z = [Double](repeating: 0, count: V)
                for v in 0..<V {
                    var s = bias[v]
                    for q in 0..<H { s += w[v * H + q] * y[q] }
                    z[v] = s
                }
                let m = z.max()!
                let lse = m + log(z.map { exp($0 - m) }.reduce(0, +))
                total += lse - z[Int(targets[t * B + b])]
                logits.append(z)
            }
        }
        return Output(meanNats: total / Double(T * B), h: h, c: c, logits: logits)
    }

    /// The recurrent layers over input vectors `input`[t][b] (one-hot characters, or a series' rows): the top
    /// layer's outputs [t][b] (dropped out when `dropout` is given) and the final h and c.
    func runLayers(_ input: [[[Double]]], T: Int, B: Int, h0: [[[Double]]], c0: [[[Double]]],
                   dropout: [[Double]]? = nil) -> (outputs: [[[Double]]], h: [[[Double]]], c: [[[Double]]]) {
        let H = config.hidden, G = config.cell.gateCount
        let name = config.cell.rawValue
        var h = h0, c = c0
        var layerInput = input
        for k in 0..<config.layers {
            let wi = params["\(name).weight_ih_l\(k)"]!, wh = params["\(name).weight_hh_l\(k)"]!
            let bi = params["\(name).bias_ih_l\(k)"]!, bh = params["\(name).bias_hh_l\(k)"]!
            let inSize = config.inputSize(layer: k)
            var out = layerInput
            for t in 0..<T {
                for b in 0..<B {
                    let x = layerInput[t][b], hp = h[k][b]
                    var ax = [Double](repeating: 0, count: G * H), ah = ax
                    for j in 0..<(G * H) {
                        var s = bi[j]
                        for q in 0..<inSize { s += wi[j * inSize + q] * x[q] }
                        ax[j] = s
                        var r = bh[j]
                        for q in 0..<H { r += wh[j * H + q] * hp[q] }
                        ah[j] = r
                    }
                    var hn = [Double](repeating: 0, count: H)
                    for j in 0..<H {
                        switch config.cell {
                        case .lstm:
                            let i = Self.sigmoid(ax[j] + ah[j]), f = Self.sigmoid(ax[H + j] + ah[H + j])
                            let g = tanh(ax[2 * H + j] + ah[2 * H + j]), o = Self.sigmoid(ax[3 * H + j] + ah[3 * H + j])
                            c[k][b][j] = f * c[k][b][j] + i * g
                            hn[j] = o * tanh(c[k][b][j])
                        case .gru:
                            let r = Self.sigmoid(ax[j] + ah[j]), z = Self.sigmoid(ax[H + j] + ah[H + j])
                            let n = tanh(ax[2 * H + j] + r * ah[2 * H + j])
                            hn[j] = (1 - z) * n + z * hp[j]
                        case .rnn:
                            hn[j] = tanh(ax[j] + ah[j])
                        }
                    }
                    h[k][b] = hn
                    out[t][b] = dropout.map { masks in (0..<H).map { j in hn[j] * masks[k][(t * B + b) * H + j] } } ?? hn
                }
            }
            layerInput = out
        }
        return (layerInput, h, c)
    }
}
