// Every CLI command, in the order `cleave --help` lists them. Adding a command is adding a module
// under this folder with a `register(program)` function and one line here.
import type { Command } from 'commander';
import { register as board } from './board';
import { register as boards } from './boards';
import { register as codecs } from './codecs';
import { register as compile } from './compile';
import { register as cuts } from './cuts';
import { register as daemon } from './daemon';
import { register as demo } from './demo';
import { register as deploy } from './deploy';
import { register as energy } from './energy';
import { register as flash } from './flash';
import { register as hil } from './hil';
import { register as inspect } from './inspect';
import { register as lab } from './lab';
import { register as mcu } from './mcu';
import { register as plan } from './plan';
import { register as profile } from './profile';
import { register as run } from './run';
import { register as serve } from './serve';
import { register as service } from './service';
import { register as split } from './split';
import { register as telemetry } from './telemetry';
import { register as verify } from './verify';

export function registerCommands(program: Command): void {
  inspect(program);
  compile(program);
  run(program);
  serve(program);
  mcu(program);
  flash(program);
  lab(program);
  cuts(program);
  split(program);
  profile(program);
  plan(program);
  codecs(program);
  demo(program);
  verify(program);
  boards(program);
  board(program);
  energy(program);
  telemetry(program);
  deploy(program);
  hil(program);
  daemon(program);
  service(program);
}
