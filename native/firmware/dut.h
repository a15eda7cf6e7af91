// The MLPerf Tiny / EEMBC runner's DUT dialect on the same UART as the MCU protocol: text commands
// ending in '%' (`name`, `profile`, `timestamp`, `db load N`, `db HEX`, `infer N W`, `results`),
// answered with `m-` lines, `e-[...]` errors and `m-ready` after each command. It drives the
// Program the MCU protocol loaded (or the image embeds); `db` bytes go into its input 0.
#pragma once
#include <cstddef>
#include <cstdint>

#include "board.h"
#include "mcu_server.h"

namespace cleave::mcu {

class Dut {
 public:
  Dut(board::Uart& uart, Server& server) : uart_(uart), server_(server) {}

  // What the runner waits for after a reset.
  void Ready();
  // One character of a command line; true when it ended a command (which has been answered).
  bool Put(uint8_t c);
  // A 0x00 arrived: the line so far was garbage or the start of a frame.
  void Abandon() { length_ = 0; overflow_ = false; }

 private:
  void Execute();
  void Name();
  void Profile();
  void Timestamp();
  void Db(const char* args);
  void Infer(const char* args);
  void Results();

  void Text(const char* s);
  void Number(uint64_t v);
  void Line(const char* s) { Text(s); Text("\r\n"); }

  board::Uart& uart_;
  Server& server_;
  // The runner sends lines of at most a few hundred characters; longer ones are cut and refused.
  static constexpr size_t kLineBytes = 512;
  char line_[kLineBytes + 1];
  size_t length_ = 0;
  bool overflow_ = false;
  uint32_t db_expected_ = 0, db_received_ = 0;
};

}  // namespace cleave::mcu
