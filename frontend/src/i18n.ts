// The viewer speaks Chinese first, English on request; the choice is kept in localStorage.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Lang } from './geodesy';

export type { Lang };

const zh = {
  appTitle: '莱州市一张图',
  appSubtitle: '一图',
  layers: '图层',
  search: '搜索地名、道路、要素或坐标',
  searching: '搜索中…',
  noResults: '没有找到结果',
  coordinate: '坐标',
  measureDistance: '测距',
  measureArea: '测面',
  measureHintDistance: '单击地图添加点，双击结束，Esc 取消',
  measureHintArea: '单击地图添加顶点，双击闭合，Esc 取消',
  total: '总长',
  area: '面积',
  perimeter: '周长',
  clear: '清除',
  exportPng: '导出图片',
  view2d: '二维',
  view3d: '三维',
  underground: '地下模式',
  language: 'English',
  attributes: '属性',
  close: '关闭',
  layer: '图层',
  featureId: '编号',
  noAttributes: '此处没有可查询的要素',
  yes: '是',
  no: '否',
  lon: '经度',
  lat: '纬度',
  gk: '高斯-克吕格',
  zone: '带',
  zoom: '级别',
  scale: '比例尺',
  opacity: '透明度',
  legend: '图例',
  visibleFrom: '放大到 {z} 级后显示',
  loading: '加载中…',
  loading3d: '正在加载三维场景…',
  failed3d: '三维场景加载失败：{e}',
  failedCatalog: '图层目录加载失败：{e}',
  failedStyle: '地图样式加载失败：{e}',
  failedSearch: '搜索失败：{e}',
  tilesChanged: '数据已更新，已重新加载 {n} 个图层',
  printTitle: '莱州市一张图',
  printFooter: 'CGCS2000 坐标系 · 高斯-克吕格 3° 带 · 由一图生成',
  north: '北',
  toggleSidebar: '显示/隐藏侧栏',
  basemapLayers: '图层',
  models: '三维模型',
  shownIn3d: '在三维视图中显示',
  zoomTo: '定位',
  tilesetFailed: '加载失败',
  failedTilesets: '三维图层目录加载失败：{e}',
};

type Messages = typeof zh;

const en: Messages = {
  appTitle: 'Laizhou One Map',
  appSubtitle: 'Yitu',
  layers: 'Layers',
  search: 'Search places, roads, features or coordinates',
  searching: 'Searching…',
  noResults: 'Nothing found',
  coordinate: 'Coordinate',
  measureDistance: 'Distance',
  measureArea: 'Area',
  measureHintDistance: 'Click to add points, double-click to finish, Esc to cancel',
  measureHintArea: 'Click to add vertices, double-click to close, Esc to cancel',
  total: 'Length',
  area: 'Area',
  perimeter: 'Perimeter',
  clear: 'Clear',
  exportPng: 'Export PNG',
  view2d: '2D',
  view3d: '3D',
  underground: 'Underground',
  language: '中文',
  attributes: 'Attributes',
  close: 'Close',
  layer: 'Layer',
  featureId: 'ID',
  noAttributes: 'No queryable feature here',
  yes: 'yes',
  no: 'no',
  lon: 'Lon',
  lat: 'Lat',
  gk: 'Gauss-Krüger',
  zone: 'zone',
  zoom: 'Zoom',
  scale: 'Scale',
  opacity: 'Opacity',
  legend: 'Legend',
  visibleFrom: 'Shown from zoom {z}',
  loading: 'Loading…',
  loading3d: 'Loading the 3D scene…',
  failed3d: 'The 3D scene failed to load: {e}',
  failedCatalog: 'The layer catalog failed to load: {e}',
  failedStyle: 'The map style failed to load: {e}',
  failedSearch: 'Search failed: {e}',
  tilesChanged: 'Data changed; {n} layer(s) reloaded',
  printTitle: 'Laizhou One Map',
  printFooter: 'CGCS2000 · Gauss-Krüger 3° zones · made with Yitu',
  north: 'N',
  toggleSidebar: 'Show/hide the side panel',
  basemapLayers: 'Layers',
  models: '3D models',
  shownIn3d: 'Shown in the 3D view',
  zoomTo: 'Zoom to',
  tilesetFailed: 'failed',
  failedTilesets: 'The 3D layer list failed to load: {e}',
};

export type MessageKey = keyof Messages;
export const messages: Record<Lang, Messages> = { zh, en };

export type T = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  return (key, vars) => {
    let s = messages[lang][key];
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
    return s;
  };
}

export function initialLang(): Lang {
  const saved = localStorage.getItem('yitu.lang');
  if (saved === 'zh' || saved === 'en') return saved;
  return 'zh';
}

export interface I18n {
  lang: Lang;
  t: T;
  /** a title pair from the API in the current language */
  title: (o: { title_zh: string; title_en: string }) => string;
}

export const I18nContext = createContext<I18n>({ lang: 'zh', t: translator('zh'), title: (o) => o.title_zh });
export const useI18n = () => useContext(I18nContext);
