import { randomBytes } from 'node:crypto';
import type { InboundContact, LegalBasis } from '../../channels/contract';
import { createAgent } from '../../server/auth/createAgent';
import type { AppContext } from '../../server/context';
import { ingestContact } from '../../server/ingest/ingestContact';
import type { Role } from '../models/Agent';
import { Agent, Category, Department } from '../models';

interface DepartmentSeed {
  code: string;
  nameRo: string;
  nameEn: string;
}

/**
 * The city hall's departments; each is also a routing queue. The registry (registratura) is not one of them:
 * it is the general queue, where cases without a department wait.
 */
export const DEMO_DEPARTMENTS: readonly DepartmentSeed[] = [
  { code: 'drumuri', nameRo: 'Direcția Tehnică – Drumuri', nameEn: 'Technical Directorate – Roads' },
  { code: 'iluminat', nameRo: 'Serviciul Iluminat Public', nameEn: 'Street Lighting Service' },
  { code: 'salubrizare', nameRo: 'Direcția Servicii Publice – Salubrizare', nameEn: 'Public Services Directorate – Sanitation' },
  { code: 'spatii-verzi', nameRo: 'Administrația Domeniului Public – Spații Verzi', nameEn: 'Public Domain Administration – Green Spaces' },
  { code: 'utilitati', nameRo: 'Direcția Utilități Publice', nameEn: 'Public Utilities Directorate' },
  { code: 'transport', nameRo: 'Direcția Transport Public Local', nameEn: 'Local Public Transport Directorate' },
  { code: 'politia-locala', nameRo: 'Poliția Locală', nameEn: 'Local Police' },
  { code: 'urbanism', nameRo: 'Direcția Arhitect-Șef / Urbanism', nameEn: "Chief Architect's Directorate / Urban Planning" },
  { code: 'taxe', nameRo: 'Direcția Impozite și Taxe Locale', nameEn: 'Local Taxes Directorate' },
  { code: 'social', nameRo: 'Direcția de Asistență Socială', nameEn: 'Social Assistance Directorate' },
  { code: 'stare-civila', nameRo: 'Serviciul Stare Civilă și Evidența Persoanelor', nameEn: 'Civil Status and Population Records Service' },
  { code: 'mediu', nameRo: 'Compartimentul Protecția Mediului', nameEn: 'Environmental Protection Office' },
  { code: 'relatii-publice', nameRo: 'Compartimentul Relații Publice și Informare', nameEn: 'Public Relations and Information Office' },
  { code: 'patrimoniu', nameRo: 'Direcția Patrimoniu – Fond Locativ', nameEn: 'Property and Housing Directorate' },
];

interface CategorySeed {
  code: string;
  nameRo: string;
  nameEn: string;
  /** Open311 `group`. */
  group: string;
  department: string;
  keywords: string;
}

/** The 24 service categories of DOMAIN.md §5, in its order: the first 17 are location-based reports. */
export const DEMO_CATEGORIES: readonly CategorySeed[] = [
  { code: 'drumuri-gropi', nameRo: 'Drumuri, străzi, gropi în carosabil', nameEn: 'Roads, potholes', group: 'drumuri', department: 'drumuri', keywords: 'groapă, gropi, asfalt, carosabil, stradă, drum' },
  { code: 'trotuare', nameRo: 'Trotuare, borduri, piste biciclete', nameEn: 'Sidewalks, curbs, bike lanes', group: 'drumuri', department: 'drumuri', keywords: 'trotuar, bordură, pistă, biciclete, dale' },
  { code: 'iluminat-public', nameRo: 'Iluminat public (bec/stâlp defect)', nameEn: 'Street lighting', group: 'iluminat', department: 'iluminat', keywords: 'iluminat, bec, stâlp, lampă, întuneric' },
  { code: 'colectare-deseuri', nameRo: 'Salubrizare – gunoi necolectat, containere', nameEn: 'Waste collection', group: 'salubrizare', department: 'salubrizare', keywords: 'gunoi, containere, pubele, colectare, salubrizare' },
  { code: 'depozitari-ilegale', nameRo: 'Depozitări ilegale de deșeuri / moloz', nameEn: 'Illegal dumping', group: 'salubrizare', department: 'politia-locala', keywords: 'moloz, deșeuri, depozitare ilegală, gunoaie aruncate' },
  { code: 'curatenie-stradala', nameRo: 'Curățenie stradală, igienă publică, deszăpezire', nameEn: 'Street cleaning, snow removal', group: 'salubrizare', department: 'salubrizare', keywords: 'curățenie, măturat, zăpadă, deszăpezire, gheață' },
  { code: 'spatii-verzi', nameRo: 'Spații verzi, parcuri, arbori (toaletare, tăiere, cosit)', nameEn: 'Green spaces, trees', group: 'spatii-verzi', department: 'spatii-verzi', keywords: 'copac, arbore, toaletare, parc, iarbă, cosit' },
  { code: 'locuri-joaca', nameRo: 'Locuri de joacă', nameEn: 'Playgrounds', group: 'spatii-verzi', department: 'spatii-verzi', keywords: 'loc de joacă, leagăn, tobogan, copii' },
  { code: 'mobilier-urban', nameRo: 'Mobilier urban (bănci, coșuri, stâlpișori)', nameEn: 'Urban furniture', group: 'spatii-verzi', department: 'spatii-verzi', keywords: 'bancă, coș de gunoi, stâlpișori, mobilier urban' },
  { code: 'apa-canal', nameRo: 'Apă-canal: avarii, capace lipsă, inundații', nameEn: 'Water and sewer', group: 'utilitati', department: 'utilitati', keywords: 'apă, canalizare, capac, avarie, inundație' },
  { code: 'termoficare', nameRo: 'Termoficare: lipsă căldură / apă caldă', nameEn: 'District heating', group: 'utilitati', department: 'utilitati', keywords: 'căldură, calorifer, apă caldă, termoficare' },
  { code: 'transport-public', nameRo: 'Transport public local (stații, trasee, vehicule)', nameEn: 'Public transport', group: 'transport', department: 'transport', keywords: 'autobuz, tramvai, stație, traseu, abonament' },
  { code: 'semnalizare-rutiera', nameRo: 'Semnalizare rutieră, marcaje, semafoare', nameEn: 'Traffic signs and signals', group: 'drumuri', department: 'drumuri', keywords: 'semafor, indicator, marcaj, trecere de pietoni' },
  { code: 'parcari', nameRo: 'Parcări, parcare neregulamentară', nameEn: 'Parking / illegal parking', group: 'transport', department: 'politia-locala', keywords: 'parcare, parcat, loc de parcare, trotuar blocat' },
  { code: 'vehicule-abandonate', nameRo: 'Vehicule abandonate', nameEn: 'Abandoned vehicles', group: 'ordine-publica', department: 'politia-locala', keywords: 'mașină abandonată, autoturism, fără numere' },
  { code: 'ordine-publica', nameRo: 'Ordine și liniște publică, zgomot, comerț ilegal', nameEn: 'Public order, noise', group: 'ordine-publica', department: 'politia-locala', keywords: 'zgomot, liniște, scandal, comerț ilegal' },
  { code: 'animale', nameRo: 'Câini fără stăpân / animale', nameEn: 'Stray dogs / animals', group: 'ordine-publica', department: 'politia-locala', keywords: 'câini, maidanezi, animale, haită' },
  { code: 'disciplina-constructii', nameRo: 'Disciplina în construcții, clădiri degradate, urbanism', nameEn: 'Building control, derelict buildings, planning', group: 'urbanism', department: 'urbanism', keywords: 'construcție, autorizație, clădire degradată, schelă' },
  { code: 'taxe-locale', nameRo: 'Impozite și taxe locale', nameEn: 'Local taxes', group: 'taxe', department: 'taxe', keywords: 'impozit, taxă, clădire, teren, auto, eșalonare' },
  { code: 'asistenta-sociala', nameRo: 'Asistență socială (ajutoare, persoane fără adăpost)', nameEn: 'Social assistance', group: 'social', department: 'social', keywords: 'ajutor social, încălzire, adăpost, persoane vârstnice' },
  { code: 'stare-civila', nameRo: 'Stare civilă / evidența persoanelor', nameEn: 'Civil status, ID documents', group: 'administrativ', department: 'stare-civila', keywords: 'certificat, naștere, căsătorie, buletin, carte de identitate' },
  { code: 'mediu', nameRo: 'Mediu (ardere deșeuri, poluare, zgomot industrial)', nameEn: 'Environment', group: 'spatii-verzi', department: 'mediu', keywords: 'fum, ardere, poluare, miros, zgomot industrial' },
  { code: 'informatii-publice', nameRo: 'Informații de interes public (Legea 544)', nameEn: 'Freedom-of-information requests', group: 'administrativ', department: 'relatii-publice', keywords: 'Legea 544, informații de interes public, solicit informații' },
  { code: 'fond-locativ', nameRo: 'Fond locativ, locuințe sociale/ANL, asociații de proprietari', nameEn: "Housing, owners' associations", group: 'administrativ', department: 'patrimoniu', keywords: 'locuință socială, ANL, chirie, asociație de proprietari' },
];

/** How many of the categories, from the first, are location-based reports (DOMAIN.md §5). */
const LOCATION_BASED_COUNT = 17;

interface AgentSeed {
  email: string;
  name: string;
  role: Role;
  departments: string[];
  allDepartments: boolean;
}

const DEMO_AGENTS: readonly AgentSeed[] = [
  { email: 'elena.marinescu@primarie.test', name: 'Elena Marinescu', role: 'supervisor', departments: [], allDepartments: true },
  { email: 'andrei.popa@primarie.test', name: 'Andrei Popa', role: 'agent', departments: [], allDepartments: true },
  { email: 'ioana.stan@primarie.test', name: 'Ioana Stan', role: 'agent', departments: ['drumuri', 'iluminat'], allDepartments: false },
];

/** A 1×1 PNG: the demo's "photo" attached to an email. */
const DEMO_PHOTO = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

/**
 * Demo contacts across every channel, in the order they arrive. A function of the earlier results, so a
 * follow-up can quote the registration number its first contact received.
 */
function demoContacts(): ((registered: Map<string, string>) => InboundContact)[] {
  return [
    () => ({
      channel: 'portal',
      externalId: 'demo-portal-1',
      receivedAt: hoursAgo(50),
      from: { name: 'Ion Popescu', email: 'ion.popescu@example.ro', phone: '0722 123 456' },
      subject: 'Groapă mare în carosabil pe Str. Mihai Eminescu nr. 14',
      text:
        'Bună ziua,\n\nÎn dreptul imobilului de pe Str. Mihai Eminescu nr. 14 s-a format o groapă adâncă de aproximativ 20 cm, ' +
        'pe banda dinspre centru. Seara nu se vede deloc și mașinile trec prin ea cu viteză. Vă rog să luați măsuri de reparare.\n\nCu stimă,\nIon Popescu',
      categoryCode: 'drumuri-gropi',
      location: { lat: 46.18664, lng: 21.31226, address: 'Str. Mihai Eminescu nr. 14' },
      metadata: { form: 'sesizare', consent: true },
    }),
    (registered) => ({
      channel: 'sms',
      externalId: 'demo-sms-1',
      receivedAt: hoursAgo(3),
      from: { phone: '+40722123456' },
      to: ['+40257281850'],
      text: `Buna ziua, revin la sesizarea nr. ${registered.get('demo-portal-1') ?? ''}: groapa de pe Eminescu s-a adancit dupa ploaie, azi-dimineata o masina si-a rupt roata. Ion Popescu`,
      metadata: { numSegments: 2 },
    }),
    () => ({
      channel: 'email',
      externalId: '<demo-email-1@mail.example.ro>',
      receivedAt: hoursAgo(26),
      from: { name: 'Maria Ionescu', email: 'maria.ionescu@example.ro' },
      to: ['registratura@primarie.test'],
      subject: 'Solicitare informații de interes public – reparații străzi 2025',
      text:
        'Stimată doamnă / Stimate domn,\n\nÎn temeiul Legii nr. 544/2001 privind liberul acces la informațiile de interes public, ' +
        'vă rog să îmi comunicați suma alocată în bugetul local pe anul 2025 pentru reparații de străzi și lista străzilor reabilitate până în prezent.\n\n' +
        'Doresc să primesc răspunsul în format electronic, la această adresă de e-mail.\n\nCu stimă,\nMaria Ionescu',
      categoryCode: 'informatii-publice',
      metadata: { headers: { 'message-id': '<demo-email-1@mail.example.ro>' } },
    }),
    () => ({
      channel: 'voice',
      externalId: 'CAdemo0000000000000000000000000001',
      receivedAt: hoursAgo(20),
      from: { name: 'Vasile Georgescu', phone: '+40745111222' },
      to: ['+40257281850'],
      text:
        'Apel telefonic: cetățeanul semnalează că gunoiul menajer nu a fost ridicat de nouă zile de la Aleea Romanțelor, bl. C4. ' +
        'Containerele sunt pline, gunoiul stă pe jos lângă ele și miroase puternic. Solicită ridicarea urgentă.',
      categoryCode: 'colectare-deseuri',
      location: { lat: 46.17102, lng: 21.33021, address: 'Aleea Romanțelor, bl. C4' },
      metadata: { durationSeconds: 146, answeredBy: 'ivr' },
    }),
    () => ({
      channel: 'sms',
      externalId: 'SMdemo0000000000000000000000000002',
      receivedAt: hoursAgo(8),
      from: { phone: '+40733555666' },
      to: ['+40257281850'],
      text: 'Stalpul de iluminat din fata blocului 7 de pe Str. Campineanu nu mai functioneaza de o saptamana. E intuneric bezna seara.',
      categoryCode: 'iluminat-public',
      location: { lat: 46.18241, lng: 21.31907, address: 'Str. Câmpineanu, bl. 7' },
    }),
    () => ({
      channel: 'letter',
      externalId: 'demo-letter-1',
      receivedAt: hoursAgo(30),
      from: { name: 'Gheorghe Dumitrescu', postalAddress: 'Str. Vasile Goldiș nr. 3, ap. 5, 310000 Arad' },
      subject: 'Cerere de eșalonare a impozitului pe clădiri',
      text:
        'Către Direcția Impozite și Taxe Locale\n\nSubsemnatul Gheorghe Dumitrescu, domiciliat în Arad, Str. Vasile Goldiș nr. 3, ap. 5, ' +
        'vă rog să aprobați eșalonarea plății impozitului pe clădiri datorat pentru anul în curs, în patru rate lunare, ' +
        'deoarece sunt pensionar și nu pot achita suma integral la termen.\n\nAnexez cuponul de pensie.\n\nData: ' +
        new Date().toLocaleDateString('ro-RO', { timeZone: 'Europe/Bucharest' }) + '\nSemnătura',
      categoryCode: 'taxe-locale',
      metadata: { ocrConfidence: 0.93, pages: 2 },
    }),
    () => ({
      channel: 'api',
      externalId: 'city-report-48213',
      receivedAt: hoursAgo(12),
      from: {},
      subject: 'Autoturism abandonat',
      text: 'Autoturism Dacia Logan de culoare albă, fără plăcuțe de înmatriculare, abandonat de peste trei luni în parcarea de pe Str. Independenței nr. 22.',
      categoryCode: 'vehicule-abandonate',
      location: { lat: 46.17655, lng: 21.30512, address: 'Str. Independenței nr. 22' },
      metadata: { source: 'Aplicația City Report', reportId: 48213 },
    }),
    () => ({
      channel: 'email',
      externalId: '<demo-email-2@mail.example.ro>',
      receivedAt: hoursAgo(5),
      from: { name: 'Ana Constantinescu', email: 'ana.constantinescu@example.ro' },
      to: ['registratura@primarie.test'],
      subject: 'Copac căzut în Parcul Eminescu',
      text:
        'Bună ziua,\n\nAseară, în timpul furtunii, un copac din Parcul Eminescu a căzut peste aleea principală, lângă locul de joacă. ' +
        'Aleea este blocată și crengile atârnă deasupra băncilor. Atașez o fotografie.\n\nMulțumesc,\nAna Constantinescu',
      categoryCode: 'spatii-verzi',
      location: { lat: 46.18422, lng: 21.31574, address: 'Parcul Eminescu' },
      attachments: [{ filename: 'copac-cazut.png', contentType: 'image/png', data: DEMO_PHOTO }],
    }),
    () => ({
      channel: 'email',
      externalId: '<demo-email-3@mail.example.ro>',
      receivedAt: hoursAgo(2),
      from: { name: 'Elisabeta Mureșan', email: 'elisabeta.muresan@example.ro' },
      to: ['registratura@primarie.test'],
      subject: 'Întrebare',
      text: 'Bună ziua, aș dori să știu ce acte îmi trebuie pentru a obține ajutorul pentru încălzirea locuinței în această iarnă. Locuiesc singură, am 78 de ani. Mulțumesc.',
    }),
  ];
}

/**
 * Seeds demo data: departments and the 24 categories (upserted by code), a supervisor and two agents with
 * random passwords (returned once, only for accounts created now), and demo cases on every channel, ingested
 * through the real pipeline so they get registration numbers and deadlines. Safe to run again.
 */
export async function seedDemo(ctx: AppContext): Promise<{ summary: string; credentials: { email: string; password: string; role: Role }[] }> {
  const counts = await ctx.db.transaction(async (transaction) => {
    const departments = new Map<string, Department>();
    let createdDepartments = 0;
    for (const d of DEMO_DEPARTMENTS) {
      let row = await Department.findOne({ where: { code: d.code }, transaction });
      if (row) await row.update({ nameRo: d.nameRo, nameEn: d.nameEn }, { transaction });
      else {
        row = await Department.create({ code: d.code, nameRo: d.nameRo, nameEn: d.nameEn, email: null }, { transaction });
        createdDepartments += 1;
      }
      departments.set(d.code, row);
    }
    let createdCategories = 0;
    for (const [index, c] of DEMO_CATEGORIES.entries()) {
      const legalBasis: LegalBasis = c.code === 'informatii-publice' ? 'public_information' : 'petition';
      const values = {
        nameRo: c.nameRo,
        nameEn: c.nameEn,
        groupCode: c.group,
        keywords: c.keywords,
        departmentId: departments.get(c.department)!.id,
        locationBased: index < LOCATION_BASED_COUNT,
        legalBasis,
        sortOrder: index + 1,
      };
      const row = await Category.findOne({ where: { code: c.code }, transaction });
      if (row) await row.update(values, { transaction });
      else {
        await Category.create({ code: c.code, descriptionRo: null, descriptionEn: null, ...values }, { transaction });
        createdCategories += 1;
      }
    }
    return { createdDepartments, createdCategories };
  });

  const credentials: { email: string; password: string; role: Role }[] = [];
  for (const a of DEMO_AGENTS) {
    if (await Agent.findOne({ where: { email: a.email } })) continue;
    const password = randomBytes(12).toString('base64url');
    await createAgent(ctx, { ...a, password });
    credentials.push({ email: a.email, password, role: a.role });
  }

  const registered = new Map<string, string>();
  let newCases = 0;
  let contacts = 0;
  for (const build of demoContacts()) {
    const contact = build(registered);
    const result = await ingestContact(ctx, contact);
    registered.set(contact.externalId, result.conversation.registrationNumber);
    contacts += 1;
    newCases += Number(result.conversationCreated);
  }

  const lines = [
    `Demo data: ${DEMO_DEPARTMENTS.length} departments (${counts.createdDepartments} new), ${DEMO_CATEGORIES.length} categories (${counts.createdCategories} new), ` +
      `${contacts} demo contacts (${newCases} new cases).`,
  ];
  if (credentials.length) {
    lines.push('Console accounts (sign in at /console/; the passwords are shown only this once):');
    for (const c of credentials) lines.push(`  ${c.role.padEnd(10)} ${c.email.padEnd(32)} ${c.password}`);
  } else {
    lines.push('The demo accounts already existed; their passwords were not changed.');
  }
  return { summary: lines.join('\n'), credentials };
}

/** Seeds the demo data on a database with no agents yet (the embedded first start); null when it had some. */
export async function seedDemoIfEmpty(ctx: AppContext): Promise<{ summary: string } | null> {
  if ((await Agent.count()) > 0) return null;
  const { summary } = await seedDemo(ctx);
  return { summary };
}
