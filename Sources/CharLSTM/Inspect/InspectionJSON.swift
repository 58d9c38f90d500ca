/// An ``Inspection`` as JSON for scripts (`charlstm inspect --json`): the header numbers, the surprisal at
/// every character, the cells ranked per property with their correlation, and the gate saturation.
///
/// ```json
/// {"accuracy":0.41,"bits_per_char":2.3,"chars":5000,"checkpoint":"…","file":"…","surprisal_bits":[null,4.1,…],
///  "properties":{"inside_quotes":{"varies":true,"cells":[{"layer":1,"cell":57,"correlation":0.62},…]},…},
///  "gate_saturation":[{"layer":0,"gates":[{"gate":"i","squash":"sigmoid","mean_left":0.1,"mean_right":0.2,
///  "left":[…],"right":[…]},…]},…], …}
/// ```
package enum InspectionJSON {
    /// The JSON value of `inspection`, with the checkpoint's and the text's paths as given. Layers and cells count
    /// from 0; `surprisal_bits[t]` is for character t (null for the first, which is not predicted).
    package static func value(_ inspection: Inspection, checkpoint: String, file: String) -> JSONValue {
        let i = inspection
        var properties: [String: JSONValue] = [:]
        for entry in i.cellsByProperty {
            properties[entry.property.rawValue] = .object([
                "varies": .bool(entry.varies),
                "cells": .array(entry.cells.map {
                    .object(["layer": .int($0.layer), "cell": .int($0.cell), "correlation": .double($0.correlation)])
                }),
            ])
        }
        let saturation = i.gateSaturation.layers.enumerated().map { k, gates in
            JSONValue.object(["layer": .int(k), "gates": .array(gates.map { gate in
                .object(["gate": .string(gate.block.name), "squash": .string(gate.block.squash.rawValue),
                         "mean_left": .double(gate.meanLeft), "mean_right": .double(gate.meanRight),
                         "left": .array(gate.left.map(JSONValue.double)), "right": .array(gate.right.map(JSONValue.double))])
            })])
        }
        return .object([
            "checkpoint": .string(checkpoint), "file": .string(file),
            "cell": .string(i.config.cell.rawValue), "layers": .int(i.config.layers), "hidden": .int(i.config.hidden),
            "activity": .string(i.activityName),
            "chars": .int(i.text.count), "total_chars": .int(i.totalCharacters),
            "bits_per_char": .double(i.evaluation.bitsPerCharacter), "accuracy": .double(i.evaluation.accuracy),
            "predictions": .int(i.evaluation.predictions),
            "surprisal_bits": .array([.null] + i.surprisal.map(JSONValue.double)),
            "properties": .object(properties),
            "gate_saturation": .array(saturation),
        ])
    }
}
