// The `charlstm` executable: everything lives in the CharLSTM library; this file only hands over the arguments.
import CharLSTM

print("charlstm: under construction")
