import type { InspectionFlag } from '../storage/schema.js';
import type { Rng } from './rng.js';

/** RFID3's ordinal letter grades, best first. */
export const GRADES = ['A+', 'A', 'A-', 'B+', 'B', 'B-', 'C+', 'C', 'C-'] as const;
/** A grade (one of `GRADES`). */
export type Grade = (typeof GRADES)[number];

/** The four stores (RFID3 codes, with the Point of Rental store numbers they map to). */
export const STORES = [
  { code: '3607', posCode: '001', name: 'Wayzata' },
  { code: '6800', posCode: '002', name: 'Brooklyn Park' },
  { code: '8101', posCode: '003', name: 'Fridley' },
  { code: '728', posCode: '004', name: 'Elk River' },
] as const;

export type Theme = 'wedding' | 'tent_event' | 'party' | 'diy';

/** How one category behaves in the simulated business. Every number here is returned as truth. */
export interface CategorySpec {
  name: string;
  department: string;
  /** Share of rental classes and of tagged units that fall in this category. */
  classShare: number;
  unitShare: number;
  /** Average share of the category's units on rent. */
  utilization: number;
  /** Units per contract line (1 = one at a time). */
  meanQty: number;
  rentalDays: [number, number];
  /** Extra rental days in June–August (tents stay up longer in summer). */
  summerExtraDays: number;
  price: [number, number];
  /** Yearly demand cycle: 1 + amplitude · cos(2π (day of year − peakDay) / 365.25). */
  seasonality: { amplitude: number; peakDay: number };
  /** Own-price elasticity around which each class's own is drawn. */
  elasticity: number;
  /** Failure hazard in rentals since the last service: Weibull(shape, scale). */
  weibull: { shape: number; scale: number };
  /** Chance that one rental drops the grade one step, and two steps. */
  gradeDrop: [number, number];
  repairCost: [number, number];
  repairDays: [number, number];
  /** Inspection flags this kind of item shows as it wears. */
  wearFlags: InspectionFlag[];
  repairLocation: string;
  themes: Theme[];
  /** Items of this category are packs (one tag for a bundle): bin_location `pack`. */
  pack?: boolean;
  storeShare?: Partial<Record<string, number>>;
  /** Names the category's `i`-th rental class and its subcategory. */
  names: (i: number, rng: Rng) => { name: string; subcategory: string };
}

const COLORS = ['WHITE', 'BLACK', 'IVORY', 'NAVY', 'RED', 'CHAMPAGNE', 'SILVER', 'BLUSH', 'SAGE', 'BURGUNDY', 'GOLD', 'ROYAL BLUE', 'HUNTER GREEN', 'LAVENDER', 'CHOCOLATE'];

function variant(list: readonly string[], i: number): string {
  const base = list[i % list.length]!;
  const round = Math.floor(i / list.length);
  return round === 0 ? base : `${base} #${round + 1}`;
}

/** The categories of the simulated business, with what drives their demand, wear and repairs. */
export const CATEGORIES: CategorySpec[] = [
  {
    name: 'Round Linen',
    department: 'Linens',
    classShare: 0.16,
    unitShare: 0.1,
    utilization: 0.24,
    meanQty: 6,
    rentalDays: [2, 4],
    summerExtraDays: 0,
    price: [9, 28],
    seasonality: { amplitude: 0.45, peakDay: 175 },
    elasticity: -1.3,
    weibull: { shape: 1.3, scale: 45 },
    gradeDrop: [0.07, 0.01],
    repairCost: [6, 18],
    repairDays: [2, 5],
    wearFlags: ['stain', 'rip_or_tear', 'sewing_repair_needed'],
    repairLocation: 'Linen Crew',
    themes: ['wedding', 'diy'],
    names: (i) => {
      const sizes = ['90', '108', '120', '132'];
      const size = sizes[i % sizes.length]!;
      return { name: `${size} ROUND ${variant(COLORS, Math.floor(i / sizes.length))} LINEN`, subcategory: `${size} Round` };
    },
  },
  {
    name: 'Rectangle Linen',
    department: 'Linens',
    classShare: 0.15,
    unitShare: 0.08,
    utilization: 0.22,
    meanQty: 5,
    rentalDays: [2, 4],
    summerExtraDays: 0,
    price: [8, 24],
    seasonality: { amplitude: 0.45, peakDay: 175 },
    elasticity: -1.2,
    weibull: { shape: 1.3, scale: 45 },
    gradeDrop: [0.07, 0.01],
    repairCost: [5, 15],
    repairDays: [2, 5],
    wearFlags: ['stain', 'rip_or_tear', 'sewing_repair_needed'],
    repairLocation: 'Linen Crew',
    themes: ['wedding', 'diy'],
    names: (i) => {
      const sizes = ['60X120', '90X132', '90X156', '54 SQUARE', '30X96 CONFERENCE'];
      const size = sizes[i % sizes.length]!;
      return { name: `${size} ${variant(COLORS, Math.floor(i / sizes.length))} LINEN`, subcategory: size };
    },
  },
  {
    name: 'Napkins',
    department: 'Linens',
    classShare: 0.05,
    unitShare: 0.09,
    utilization: 0.2,
    meanQty: 12,
    rentalDays: [2, 4],
    summerExtraDays: 0,
    price: [0.75, 1.5],
    seasonality: { amplitude: 0.45, peakDay: 175 },
    elasticity: -1.4,
    weibull: { shape: 1.1, scale: 40 },
    gradeDrop: [0.06, 0.01],
    repairCost: [1, 2],
    repairDays: [1, 3],
    wearFlags: ['stain', 'rip_or_tear'],
    repairLocation: 'Linen Crew',
    themes: ['wedding'],
    names: (i) => ({ name: `NAPKIN, ${variant(COLORS, i)} POLY`, subcategory: 'Napkins' }),
  },
  {
    name: 'Tables and Chairs',
    department: 'Tables & Chairs',
    classShare: 0.05,
    unitShare: 0.36,
    utilization: 0.27,
    meanQty: 30,
    rentalDays: [1, 3],
    summerExtraDays: 0,
    price: [1.5, 14],
    seasonality: { amplitude: 0.4, peakDay: 185 },
    elasticity: -1.1,
    weibull: { shape: 1.6, scale: 80 },
    gradeDrop: [0.04, 0.005],
    repairCost: [8, 40],
    repairDays: [2, 8],
    wearFlags: ['dirty_or_mud', 'oxidation', 'service_required'],
    repairLocation: 'Service Dept',
    themes: ['wedding', 'tent_event', 'party', 'diy'],
    names: (i) => {
      const list = [
        ['CHAIR, WHITE PLASTIC FOLDING', 'Chairs'],
        ['TABLE, 8FT BANQUET', 'Banquet Tables'],
        ['TABLE, 60 INCH ROUND', 'Round Tables'],
        ['CHAIR, WHITE RESIN WEDDING', 'Chairs'],
        ['TABLE, 6FT BANQUET', 'Banquet Tables'],
        ['CHAIR, CHIAVARI GOLD', 'Chairs'],
        ['TABLE, 72 INCH ROUND', 'Round Tables'],
        ['TABLE, COCKTAIL 30 INCH', 'Cocktail Tables'],
        ['CHAIR, BLACK PADDED FOLDING', 'Chairs'],
        ['TOP, TABLE ROUND, 30 INCH PLYWOOD', 'Table Tops'],
        ['LEG BASE 24" - 4 PRONG X', 'Table Legs'],
        ['TABLE, 4FT SQUARE', 'Square Tables'],
      ] as const;
      const [name, sub] = list[i % list.length]!;
      return { name: variant([name], Math.floor(i / list.length) * 1), subcategory: sub };
    },
  },
  {
    name: 'Tent Tops',
    department: 'Tents',
    classShare: 0.07,
    unitShare: 0.025,
    utilization: 0.26,
    meanQty: 1,
    rentalDays: [3, 5],
    summerExtraDays: 2,
    price: [180, 950],
    seasonality: { amplitude: 0.8, peakDay: 185 },
    elasticity: -0.7,
    weibull: { shape: 2.0, scale: 28 },
    gradeDrop: [0.1, 0.02],
    repairCost: [60, 400],
    repairDays: [4, 12],
    wearFlags: ['rip_or_tear', 'grommet', 'rope', 'buckle', 'mold'],
    repairLocation: 'Tent Crew',
    themes: ['tent_event'],
    names: (i) => {
      const list = [
        ['TENT TOP, FRAME 20X20', 'Frame Tops'],
        ['TENT TOP, FRAME 20X30', 'Frame Tops'],
        ['TENT TOP, FRAME 30X30', 'Frame Tops'],
        ['TENT TOP, POLE 40X60', 'Pole Tops'],
        ['TENT TOP, HIGH PEAK 20X20', 'HP Tops'],
        ['TENT TOP, FRAME 40X40', 'Frame Tops'],
        ['TENT TOP, POLE 30X45', 'Pole Tops'],
        ['TENT TOP, HIGH PEAK 30X30', 'HP Tops'],
      ] as const;
      const [name, sub] = list[i % list.length]!;
      return { name: variant([name], Math.floor(i / list.length)), subcategory: sub };
    },
  },
  {
    name: 'Tent Sidewalls',
    department: 'Tents',
    classShare: 0.07,
    unitShare: 0.05,
    utilization: 0.22,
    meanQty: 4,
    rentalDays: [3, 5],
    summerExtraDays: 2,
    price: [18, 45],
    seasonality: { amplitude: 0.75, peakDay: 185 },
    elasticity: -0.8,
    weibull: { shape: 1.8, scale: 30 },
    gradeDrop: [0.1, 0.02],
    repairCost: [15, 60],
    repairDays: [3, 8],
    wearFlags: ['rip_or_tear', 'grommet', 'mold', 'wet'],
    repairLocation: 'Tent Crew',
    themes: ['tent_event'],
    names: (i) => {
      const kinds = ['8X20 CLEAR', '8X20 WHITE SOLID', '8X30 WINDOW', '8X20 FRENCH WINDOW', '7X20 MESH', '8X40 WHITE SOLID'];
      return { name: `SIDEWALL, ${variant(kinds, i)}`, subcategory: 'Sidewalls' };
    },
  },
  {
    name: 'Tableware',
    department: 'Catering',
    classShare: 0.05,
    unitShare: 0.12,
    utilization: 0.22,
    meanQty: 8,
    rentalDays: [2, 4],
    summerExtraDays: 0,
    price: [4, 12],
    seasonality: { amplitude: 0.45, peakDay: 175 },
    elasticity: -1.2,
    weibull: { shape: 1.2, scale: 60 },
    gradeDrop: [0.04, 0.005],
    repairCost: [3, 10],
    repairDays: [1, 3],
    wearFlags: ['dirty_or_mud', 'oxidation'],
    repairLocation: 'Service Dept',
    themes: ['wedding', 'diy'],
    pack: true,
    names: (i) => {
      const list = [
        'FLATWARE FORK, DINNER (10 PACK)',
        'FLATWARE KNIFE, DINNER (10 PACK)',
        'FLATWARE SPOON, TEA (10 PACK)',
        'PLATE, DINNER WHITE (10 PACK)',
        'PLATE, SALAD WHITE (10 PACK)',
        'GLASS, WINE 10OZ (25 RACK)',
        'GLASS, CHAMPAGNE FLUTE (25 RACK)',
        'CHARGER, GOLD BEADED (10 PACK)',
      ];
      return { name: variant(list, i), subcategory: 'Packs' };
    },
  },
  {
    name: 'AV Equipment',
    department: 'Equipment',
    classShare: 0.05,
    unitShare: 0.02,
    utilization: 0.2,
    meanQty: 1,
    rentalDays: [1, 3],
    summerExtraDays: 0,
    price: [35, 160],
    seasonality: { amplitude: 0.3, peakDay: 170 },
    elasticity: -0.9,
    weibull: { shape: 1.4, scale: 35 },
    gradeDrop: [0.05, 0.01],
    repairCost: [25, 150],
    repairDays: [3, 10],
    wearFlags: ['service_required', 'other'],
    repairLocation: 'Service Dept',
    themes: ['wedding', 'tent_event', 'party'],
    names: (i) => ({
      name: variant(['SPEAKER, POWERED 12 INCH', 'PROJECTOR, 5000 LUMEN', 'SCREEN, 10FT TRIPOD', 'MICROPHONE, WIRELESS HANDHELD', 'MIXER, 8 CHANNEL', 'UPLIGHT, LED WIRELESS'], i),
      subcategory: 'Audio Visual',
    }),
  },
  {
    name: 'Decorations',
    department: 'Decor',
    classShare: 0.04,
    unitShare: 0.03,
    utilization: 0.15,
    meanQty: 3,
    rentalDays: [2, 4],
    summerExtraDays: 0,
    price: [10, 85],
    seasonality: { amplitude: 0.5, peakDay: 170 },
    elasticity: -1.0,
    weibull: { shape: 1.3, scale: 40 },
    gradeDrop: [0.06, 0.01],
    repairCost: [10, 50],
    repairDays: [2, 6],
    wearFlags: ['oxidation', 'other'],
    repairLocation: 'Service Dept',
    themes: ['wedding'],
    names: (i) => ({
      name: variant(
        ['ARCH, WHITE WEDDING', 'CANDELABRA, 5 ARM SILVER', 'STANCHION, GOLD WITH ROPE', 'BACKDROP STAND 10FT', 'LANTERN, WHITE METAL', 'AISLE RUNNER, WHITE 100FT'],
        i,
      ),
      subcategory: 'Decor',
    }),
  },
  {
    name: 'Games',
    department: 'Party',
    classShare: 0.03,
    unitShare: 0.012,
    utilization: 0.2,
    meanQty: 1,
    rentalDays: [1, 2],
    summerExtraDays: 0,
    price: [60, 260],
    seasonality: { amplitude: 0.75, peakDay: 190 },
    elasticity: -1.0,
    weibull: { shape: 1.7, scale: 30 },
    gradeDrop: [0.08, 0.015],
    repairCost: [20, 180],
    repairDays: [3, 10],
    wearFlags: ['rip_or_tear', 'dirty_or_mud', 'wet'],
    repairLocation: 'Service Dept',
    themes: ['party'],
    names: (i) => ({
      name: variant(['BOUNCE HOUSE, CASTLE', 'CORNHOLE SET', 'GIANT JENGA', 'DUNK TANK', 'OBSTACLE COURSE, INFLATABLE', 'GIANT CONNECT FOUR'], i),
      subcategory: 'Games',
    }),
  },
  {
    name: 'Concession Equipment',
    department: 'Party',
    classShare: 0.03,
    unitShare: 0.012,
    utilization: 0.18,
    meanQty: 1,
    rentalDays: [1, 2],
    summerExtraDays: 0,
    price: [45, 130],
    seasonality: { amplitude: 0.6, peakDay: 195 },
    elasticity: -0.9,
    weibull: { shape: 1.5, scale: 35 },
    gradeDrop: [0.05, 0.01],
    repairCost: [20, 120],
    repairDays: [3, 10],
    wearFlags: ['oil', 'service_required'],
    repairLocation: 'Service Dept',
    themes: ['party', 'diy'],
    names: (i) => ({
      name: variant(['POPCORN MACHINE', 'COTTON CANDY MACHINE', 'FROZEN DRINK MACHINE - OTC (6 AMP)', 'SNO-CONE MACHINE', 'HOT DOG ROLLER', 'CHOCOLATE FOUNTAIN'], i),
      subcategory: 'Concessions',
    }),
  },
  {
    name: 'Heaters',
    department: 'Equipment',
    classShare: 0.025,
    unitShare: 0.02,
    utilization: 0.16,
    meanQty: 2,
    rentalDays: [2, 5],
    summerExtraDays: 0,
    price: [40, 140],
    seasonality: { amplitude: 0.65, peakDay: 330 },
    elasticity: -0.6,
    weibull: { shape: 1.6, scale: 30 },
    gradeDrop: [0.05, 0.01],
    repairCost: [25, 160],
    repairDays: [3, 10],
    wearFlags: ['service_required', 'oil'],
    repairLocation: 'Service Dept',
    themes: ['tent_event', 'diy'],
    storeShare: { '6800': 0.5, '3607': 0.2, '8101': 0.2, '728': 0.1 },
    names: (i) => ({
      name: variant(['HEATER, FORCED AIR 150K BTU', 'PATIO HEATER, PROPANE', 'HEATER, INDIRECT FIRED DIESEL', 'HEATER, RADIANT TOWER'], i),
      subcategory: 'Heaters',
    }),
  },
  {
    name: 'Dance Floor',
    department: 'Decor',
    classShare: 0.015,
    unitShare: 0.03,
    utilization: 0.18,
    meanQty: 12,
    rentalDays: [2, 3],
    summerExtraDays: 0,
    price: [12, 22],
    seasonality: { amplitude: 0.55, peakDay: 180 },
    elasticity: -0.9,
    weibull: { shape: 1.5, scale: 60 },
    gradeDrop: [0.05, 0.01],
    repairCost: [10, 40],
    repairDays: [2, 6],
    wearFlags: ['dirty_or_mud', 'other'],
    repairLocation: 'Service Dept',
    themes: ['wedding', 'tent_event'],
    names: (i) => ({ name: variant(['DANCE FLOOR SECTION 3X3, PARQUET', 'DANCE FLOOR SECTION 3X3, WHITE', 'DANCE FLOOR TRIM, ALUMINUM'], i), subcategory: 'Dance Floor' }),
  },
];

export const DEFAULT_STORE_SHARE: Record<string, number> = { '8101': 0.4, '3607': 0.27, '6800': 0.18, '728': 0.15 };

/** Contract themes: which categories go together on one contract, and whether the rental is delivered. */
export const THEMES: Record<Theme, { weight: number; delivered: number }> = {
  wedding: { weight: 0.35, delivered: 0.9 },
  tent_event: { weight: 0.25, delivered: 1 },
  party: { weight: 0.15, delivered: 0.5 },
  diy: { weight: 0.25, delivered: 0 },
};

export const CLIENT_WORDS = {
  last: [
    'SMITH',
    'JOHNSON',
    'OLSON',
    'ANDERSON',
    'NELSON',
    'PETERSON',
    'LARSON',
    'HANSON',
    'CARLSON',
    'MILLER',
    'JOHNSTON',
    'SWANSON',
    'LINDQUIST',
    'BERG',
    'NGUYEN',
    'GARCIA',
    'THAO',
    'LEE',
    'MARTIN',
    'KOWALSKI',
  ],
  kind: ['WEDDING', 'GRAD PARTY', 'CORPORATE PICNIC', 'CHURCH FESTIVAL', 'BLOCK PARTY', 'CONSTRUCTION', 'FUNDRAISER', 'BIRTHDAY', 'REUNION', 'SCHOOL EVENT'],
};

export const STAFF = ['David', 'Tyler', 'Zack', 'Tim', 'Bruce', 'Maria', 'Ahmed', 'Kelly', 'Jon', 'Priya'];
