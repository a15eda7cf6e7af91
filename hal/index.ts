// The hardware abstraction layer: board descriptors and detection, power and energy meters, GPIO,
// thermal, CPU frequency and serial links. The runtime and the CLI import from here only.
export { halContext, rooted, type HalContext } from './context';
export type * from './boards/descriptor';
export { boardsDir, findBoard, loadBoardCatalog, loadDescriptorFile, validateDescriptor } from './boards/catalog';
export { chooseBoard, detectBoard, readDetectionEvidence, type Board, type DetectionEvidence } from './boards/detect';
export type { Availability, EnergyMeter, EnergyReading, MeterKind, PowerMeter, PowerReading, RailReading } from './power/types';
export { openEnergyMeter, openPowerMeter, type DriverOptions } from './power/registry';
export type { I2cBusOpener, I2cWordBus } from './power/ina2xx-i2c';
export { openBestEnergyMeter, surveyMeters, type BestEnergyMeter, type MeterStatus, type SurveyOptions } from './energy/best';
export { ESTIMATED_METER, estimateJoules, modelWatts } from './energy/estimated';
export { openTimestampPin, TimestampPin } from './gpio/timestamp-pin';
export { measureBetweenPulses, openTimestampInput, type EdgeSource } from './gpio/edges';
export { readThermalZones, readThrottleState, type ThermalZone, type ThrottleState } from './thermal';
export { cappedCpus, readCpuFreq, setGovernor, type CpuFreqState } from './cpufreq';
export { listSerialPorts, SerialLink, serialOptionsFor, type SerialLinkOptions } from './serial';

import { loadBoardCatalog } from './boards/catalog';
import { detectBoard, type Board } from './boards/detect';
import { halContext, type HalContext } from './context';

/** The board cleave is running on, from the packaged catalog and the context's root. */
export function detectCurrentBoard(ctx: HalContext = halContext()): Promise<Board> {
  return detectBoard(ctx, loadBoardCatalog());
}
