#include "interp/interpreter.h"

#include <cstring>

#include "interp/op_resolver.h"
#include "kernels/softmax.h"

namespace cleave {

Interpreter::Interpreter(const Program& program, uint8_t* arena) : program_(program), arena_(arena) {}

void Interpreter::ResetState() {
  for (uint32_t i = 0; i < program_.tensor_count(); ++i) {
    const TensorInfo& t = program_.tensor(i);
    if (t.kind == TensorKind::kVariable) std::memset(arena_ + t.offset, 0, t.byte_size);
  }
}

size_t Interpreter::StateBytes() const {
  size_t total = 0;
  for (uint32_t i = 0; i < program_.tensor_count(); ++i) {
    const TensorInfo& t = program_.tensor(i);
    if (t.kind == TensorKind::kVariable) total += t.byte_size;
  }
  return total;
}

Status Interpreter::ExportState(uint8_t* out, size_t size) const {
  const size_t expected = StateBytes();
  if (size != expected) return Status::Error(StatusCode::kBadInput, "state buffer is {a} bytes, the Program's variable tensors hold {b}").A(static_cast<int64_t>(size)).B(static_cast<int64_t>(expected));
  for (uint32_t i = 0; i < program_.tensor_count(); ++i) {
    const TensorInfo& t = program_.tensor(i);
    if (t.kind != TensorKind::kVariable) continue;
    std::memcpy(out, arena_ + t.offset, t.byte_size);
    out += t.byte_size;
  }
  return Status::Ok();
}

Status Interpreter::ImportState(const uint8_t* state, size_t size) {
  const size_t expected = StateBytes();
  if (size != expected) return Status::Error(StatusCode::kBadInput, "state is {a} bytes, the Program's variable tensors hold {b}").A(static_cast<int64_t>(size)).B(static_cast<int64_t>(expected));
  for (uint32_t i = 0; i < program_.tensor_count(); ++i) {
    const TensorInfo& t = program_.tensor(i);
    if (t.kind != TensorKind::kVariable) continue;
    std::memcpy(arena_ + t.offset, state, t.byte_size);
    state += t.byte_size;
  }
  return Status::Ok();
}

void Interpreter::PrepareSoftmaxTables() {
  if (luts_ready_) return;
  kernels::SoftmaxInt16PrepareTables(exp_lut_, one_over_one_plus_x_lut_);
  luts_ready_ = true;
}

const int16_t* Interpreter::SoftmaxExpTable() {
  PrepareSoftmaxTables();
  return exp_lut_;
}

const int16_t* Interpreter::SoftmaxOneOverOnePlusXTable() {
  PrepareSoftmaxTables();
  return one_over_one_plus_x_lut_;
}

Status Interpreter::Invoke(OpObserver* observer) {
  for (uint32_t i = 0; i < program_.op_count(); ++i) {
    if (observer) observer->OnOpBegin(i);
    const char* kernel = accelerator_ ? accelerator_->Run(i, *this) : nullptr;
    if (!kernel) {
      Status s = RunOp(program_.op(i));
      if (!s.ok()) return s.Op(static_cast<int32_t>(i), program_.op(i).opcode);
      kernel = "reference";
    }
    if (observer) observer->OnOpEnd(i, kernel);
  }
  return Status::Ok();
}

Status Interpreter::RunOp(const OpView& op) {
  // The loader refused every op the resolver lacks, so a miss here is a broken invariant.
  const OpRegistration* registration = program_.resolver().Find(op.opcode);
  if (!registration) return Status::Error(StatusCode::kInternal, "op {op} ({name}) has no registration");
  return registration->eval(*this, op);
}

}  // namespace cleave
