// What an op's validator sees while the loader checks a Program: the op, its tensors, and checks
// shared by every op (counts, parameter arrays in the constant blob) whose failures name the op.
#pragma once
#include <cstdint>

#include "common/status.h"
#include "interp/op_param_layout.h"
#include "interp/program.h"

namespace cleave {

struct OpCheck {
  const Program& program;
  const OpView& op;
  uint32_t index;  // the op's position in the Program

  // Null for an omitted (-1) tensor. Ids are in range: the loader checked them before.
  const TensorInfo* tensor(int32_t id) const { return id >= 0 ? &program.tensor(static_cast<uint32_t>(id)) : nullptr; }
  const TensorInfo* input(int k) const { return k < op.num_inputs ? tensor(op.inputs[k]) : nullptr; }
  const TensorInfo* output(int k) const { return k < op.num_outputs ? tensor(op.outputs[k]) : nullptr; }

  // A kProgramInvalid naming the op and its model op index; `what` is a static template that may
  // use {op}, {name} and {c} (the model op index).
  Status Fail(const char* what) const {
    return Status::Error(StatusCode::kProgramInvalid, what).Op(static_cast<int32_t>(index), op.opcode).C(op.source_index);
  }
  bool Counts(int inputs, int outputs, int params) const {
    return op.num_inputs == inputs && op.num_outputs == outputs && op.num_params == params;
  }
  // `count` int32 words at byte offset `offset` lie inside the constant blob.
  Status CheckArray(int32_t offset, int64_t count) const {
    if (offset < 0 || count < 0 || offset % 4 != 0 || uint64_t(offset) + 4ull * uint64_t(count) > program.constant_size()) {
      return Status::Error(StatusCode::kProgramInvalid, "op {op} ({name}): parameter array [{a}, +{b} words] lies outside the constant blob")
          .Op(static_cast<int32_t>(index), op.opcode).A(offset).B(count);
    }
    return Status::Ok();
  }
  // Every array parameter of layout P, with the length its declaration gives.
  template <typename P>
  Status CheckArrays() const {
    const TensorInfo* out = output(0);
    for (const op_params::ArrayParam& a : P::kArrays) {
      int64_t count = a.count_param < 0 ? (out ? out->shape.dims[3] : 0) : op.params[a.count_param];
      if (a.when_param >= 0 && op.params[a.when_param] == 0) count = 1;
      Status s = CheckArray(op.params[a.index], count);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }
};

}  // namespace cleave
