<?xml version="1.0" encoding="UTF-8"?>
<!-- A CityGML 2.0 building in a local engineering CRS (莱州城建坐标系, a few-hundred-metre grid):
     the srsName is no EPSG code, so the import needs the option srs local:grid.yaml. Written for Yitu's tests. -->
<CityModel xmlns="http://www.opengis.net/citygml/2.0" xmlns:gml="http://www.opengis.net/gml"
	xmlns:bldg="http://www.opengis.net/citygml/building/2.0" xmlns:gen="http://www.opengis.net/citygml/generics/2.0">
	<gml:name>莱州城建坐标系 test block</gml:name>
	<gml:boundedBy>
		<gml:Envelope srsName="urn:yitu:crs:local:laizhou-chengjian" srsDimension="3">
			<gml:lowerCorner>200.000 300.000 4.200</gml:lowerCorner>
			<gml:upperCorner>230.000 315.000 16.200</gml:upperCorner>
		</gml:Envelope>
	</gml:boundedBy>
	<cityObjectMember>
		<bldg:Building gml:id="LZ-B1">
			<gml:name>莱州市城建档案馆</gml:name>
			<gen:stringAttribute name="地址"><gen:value>文化东街1号</gen:value></gen:stringAttribute>
			<bldg:measuredHeight uom="m">12.0</bldg:measuredHeight>
			<bldg:storeysAboveGround>4</bldg:storeysAboveGround>
			<bldg:boundedBy>
				<bldg:GroundSurface gml:id="LZ-B1-ground">
					<bldg:lod2MultiSurface>
						<gml:MultiSurface>
							<gml:surfaceMember>
								<gml:Polygon gml:id="LZ-B1-ground-p">
									<gml:exterior><gml:LinearRing><gml:posList srsDimension="3">200.000 315.000 4.200 230.000 315.000 4.200 230.000 300.000 4.200 200.000 300.000 4.200 200.000 315.000 4.200</gml:posList></gml:LinearRing></gml:exterior>
								</gml:Polygon>
							</gml:surfaceMember>
						</gml:MultiSurface>
					</bldg:lod2MultiSurface>
				</bldg:GroundSurface>
			</bldg:boundedBy>
			<bldg:boundedBy>
				<bldg:RoofSurface gml:id="LZ-B1-roof">
					<bldg:lod2MultiSurface>
						<gml:MultiSurface>
							<gml:surfaceMember>
								<gml:Polygon gml:id="LZ-B1-roof-p">
									<gml:exterior><gml:LinearRing><gml:posList srsDimension="3">200.000 300.000 16.200 230.000 300.000 16.200 230.000 315.000 16.200 200.000 315.000 16.200 200.000 300.000 16.200</gml:posList></gml:LinearRing></gml:exterior>
								</gml:Polygon>
							</gml:surfaceMember>
						</gml:MultiSurface>
					</bldg:lod2MultiSurface>
				</bldg:RoofSurface>
			</bldg:boundedBy>
			<bldg:boundedBy>
				<bldg:WallSurface gml:id="LZ-B1-wall-south">
					<bldg:lod2MultiSurface>
						<gml:MultiSurface>
							<gml:surfaceMember>
								<gml:Polygon gml:id="LZ-B1-wall-south-p">
									<gml:exterior><gml:LinearRing><gml:posList srsDimension="3">200.000 300.000 4.200 230.000 300.000 4.200 230.000 300.000 16.200 200.000 300.000 16.200 200.000 300.000 4.200</gml:posList></gml:LinearRing></gml:exterior>
								</gml:Polygon>
							</gml:surfaceMember>
						</gml:MultiSurface>
					</bldg:lod2MultiSurface>
				</bldg:WallSurface>
			</bldg:boundedBy>
			<bldg:boundedBy>
				<bldg:WallSurface gml:id="LZ-B1-wall-east">
					<bldg:lod2MultiSurface>
						<gml:MultiSurface>
							<gml:surfaceMember>
								<gml:Polygon gml:id="LZ-B1-wall-east-p">
									<gml:exterior><gml:LinearRing><gml:posList srsDimension="3">230.000 300.000 4.200 230.000 315.000 4.200 230.000 315.000 16.200 230.000 300.000 16.200 230.000 300.000 4.200</gml:posList></gml:LinearRing></gml:exterior>
								</gml:Polygon>
							</gml:surfaceMember>
						</gml:MultiSurface>
					</bldg:lod2MultiSurface>
				</bldg:WallSurface>
			</bldg:boundedBy>
			<bldg:boundedBy>
				<bldg:WallSurface gml:id="LZ-B1-wall-north">
					<bldg:lod2MultiSurface>
						<gml:MultiSurface>
							<gml:surfaceMember>
								<gml:Polygon gml:id="LZ-B1-wall-north-p">
									<gml:exterior><gml:LinearRing><gml:posList srsDimension="3">230.000 315.000 4.200 200.000 315.000 4.200 200.000 315.000 16.200 230.000 315.000 16.200 230.000 315.000 4.200</gml:posList></gml:LinearRing></gml:exterior>
								</gml:Polygon>
							</gml:surfaceMember>
						</gml:MultiSurface>
					</bldg:lod2MultiSurface>
				</bldg:WallSurface>
			</bldg:boundedBy>
			<bldg:boundedBy>
				<bldg:WallSurface gml:id="LZ-B1-wall-west">
					<bldg:lod2MultiSurface>
						<gml:MultiSurface>
							<gml:surfaceMember>
								<gml:Polygon gml:id="LZ-B1-wall-west-p">
									<gml:exterior><gml:LinearRing><gml:posList srsDimension="3">200.000 315.000 4.200 200.000 300.000 4.200 200.000 300.000 16.200 200.000 315.000 16.200 200.000 315.000 4.200</gml:posList></gml:LinearRing></gml:exterior>
								</gml:Polygon>
							</gml:surfaceMember>
						</gml:MultiSurface>
					</bldg:lod2MultiSurface>
				</bldg:WallSurface>
			</bldg:boundedBy>
		</bldg:Building>
	</cityObjectMember>
</CityModel>
